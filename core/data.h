#pragma once
// Data sets as the framework sees them: named splits of examples, held in
// memory as tensors (the built-in sets) or read from disk one at a time
// (photos), with the per-split transforms that turn a file into an input.
//
// The pieces of the data layer, each replaceable on its own:
//   a source of examples   Split (inputs in memory, or an ExampleReader)
//   sampling               core/sampling.h (shuffled epochs, class-balanced)
//   decoding               ExampleReader::read (datasets/image_files.h)
//   transforms             core/transforms.h (declared in YAML per split)
//   batching, prefetching  core/loader.h (worker threads, a bounded queue)
//   the move to a device   core/loader.h (pinned memory on CUDA)

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

namespace graft {

class TransformPipeline;

/// The geometric part of a transform pipeline, planned on an image's size
/// before its pixels are decoded: a box of the source (in source pixels) that
/// becomes an image of `width` x `height`, flipped or not. Planning first lets
/// a JPEG be decoded only where the box is, and at the smallest DCT scale that
/// still covers the output.
struct ImagePlan {
  std::int64_t width = 0, height = 0;     ///< size of the image the plan yields
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;  ///< the box of the source it comes from
  bool flip = false;                      ///< mirrored left-right at the end

  /// The whole of a `width` x `height` image, unchanged.
  static ImagePlan whole(std::int64_t width, std::int64_t height);
  /// Keeps the part [left, left + w) x [top, top + h) of the current image.
  void crop(double left, double top, double w, double h);
  /// Scales the current image to `w` x `h`.
  void resize(std::int64_t w, std::int64_t h) { width = w, height = h; }
};

/// Examples read from disk one at a time. Must be safe to call from several
/// threads at once.
class ExampleReader {
 public:
  virtual ~ExampleReader() = default;
  virtual std::int64_t size() const = 0;
  /// The file behind example `index`, for messages and `graft data inspect`.
  virtual std::string describe(std::int64_t index) const = 0;
  /// Decodes example `index`. `plan_for(width, height)` is called once with
  /// the stored size (from the header, before the pixels are decoded) and says
  /// which box is wanted at which output size. Returns uint8 [C, h, w]
  /// covering that box, at a reduced scale where the format allows it, never
  /// smaller than the plan's output size unless the box itself is.
  virtual torch::Tensor read(std::int64_t index,
                             const std::function<ImagePlan(std::int64_t, std::int64_t)>& plan_for) const = 0;
  /// True when an unreadable example is to be skipped (replaced by the next
  /// readable one, and counted) rather than fail the run.
  virtual bool skip_unreadable() const { return false; }
};

/// One split of a data set. Its inputs are either `inputs`, [N, ...] (float32,
/// or uint8 images that are scaled per batch), or `reader` (examples decoded
/// from disk through the data set's transforms). `targets` are always in
/// memory: one tensor [N, ...] per task, under "label" for classification.
struct Split {
  torch::Tensor inputs;
  std::shared_ptr<const ExampleReader> reader;
  std::map<std::string, torch::Tensor> targets;
  std::int64_t size() const;
  bool from_disk() const { return reader != nullptr; }
  /// The examples at `rows` (int64), inputs and targets alike; a split read
  /// from disk keeps reading from disk, through the rows' files.
  Split select(const torch::Tensor& rows) const;
};

/// What a data-set factory gets besides its options.
struct DataContext {
  std::uint64_t seed = 0;  ///< the run's seed, for sets generated at random
  std::string cache_dir;   ///< where fetched and derived files live
  std::string domain;      ///< the `data:` entry being built ("source", "target")

  /// A seed for sampling that differs between domains of the same run, so a
  /// target drawn from the same family is a fresh sample, not a copy.
  std::uint64_t domain_seed() const;
};

/// Random changes applied to in-memory training batches (never to
/// evaluation). Sets read from disk declare theirs as transforms instead.
struct Augmentation {
  std::int64_t crop_padding = 0;  ///< pad by this many pixels, crop back at a random offset
  bool horizontal_flip = false;   ///< flip each image left-right with probability 1/2
  bool any() const { return crop_padding > 0 || horizontal_flip; }
};

/// A loaded data set. Factories fill it; the framework only reads it.
/// Paradigms that need more (a vocabulary's words) derive from it.
struct DataSet {
  virtual ~DataSet() = default;
  std::string name;
  std::vector<std::int64_t> input_shape;  ///< shape of one example as the model sees it
  std::int64_t num_classes = 0;           ///< of the "label" target; 0 if none
  std::vector<std::string> class_names;   ///< of the "label" target, in label order; empty: unnamed
  /// Open-set data (datasets/class_subset.h): the label of every example of a
  /// class the source does not have, the last one; -1 when there is none.
  /// Evaluation then scores known and unknown classes apart (OS*, UNK, HOS).
  std::int64_t unknown_class = -1;
  std::map<std::string, Split> splits;    ///< "train", and "val"/"test" where they exist
  double input_scale = 1.0;               ///< in-memory inputs are divided by it per batch (255 for uint8)
  std::vector<double> mean, std;          ///< per-channel normalisation of in-memory inputs; empty: none
  Augmentation augment;                   ///< for in-memory training streams
  /// Splits read from disk: the pipeline of each split by name; a split
  /// without one uses "test"'s, then none (the decoded image as it is).
  std::map<std::string, std::shared_ptr<const TransformPipeline>> transforms;

  /// The split or an error naming the data set and the splits it has.
  const Split& split(const std::string& name) const;
  bool has_split(const std::string& name) const { return splits.count(name) > 0; }
  /// The pipeline for examples of `split` (null: none).
  const TransformPipeline* transforms_for(const std::string& split) const;
};

/// A batch drawn from a stream; `targets` is empty for unlabelled streams.
struct Batch {
  torch::Tensor inputs;
  std::map<std::string, torch::Tensor> targets;
  std::int64_t size() const { return inputs.size(0); }
  /// The target tensor or an error naming the targets the batch has.
  const torch::Tensor& target(const std::string& name = "label") const;
};

/// Rows of a set of `n` examples held out by fraction, from a permutation
/// drawn from `split_seed` alone: the same rows for every method and every run
/// seed (DomainBed's holdout_fraction). Each part is sorted.
struct HeldOutRows {
  torch::Tensor train, val, test;  ///< int64 row indices; val/test empty when their fraction is 0
};
HeldOutRows hold_out_rows(std::int64_t n, double val_fraction, double test_fraction, std::uint64_t split_seed);

/// Float inputs on `device`, scaled and normalised as the data set says, from
/// in-memory inputs; with `augment`, the data set's augmentation is applied
/// first (drawing from torch's default generator, which checkpoints save).
torch::Tensor prepare_inputs(const DataSet& data, const torch::Tensor& raw, const torch::Device& device,
                             bool augment = false);

}  // namespace graft
