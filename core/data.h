#pragma once
// Data sets as the framework sees them: named splits of in-memory tensors,
// and seeded batch streams over them.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

namespace graft {

/// One split of a data set. `inputs` is [N, ...] (float32, or uint8 images that
/// are scaled per batch); `targets` holds one tensor [N] per task, under
/// "label" for plain classification.
struct Split {
  torch::Tensor inputs;
  std::map<std::string, torch::Tensor> targets;
  std::int64_t size() const { return inputs.defined() ? inputs.size(0) : 0; }
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

/// Random changes applied to training batches (never to evaluation).
struct Augmentation {
  std::int64_t crop_padding = 0;  ///< pad by this many pixels, crop back at a random offset
  bool horizontal_flip = false;   ///< flip each image left-right with probability 1/2
  bool any() const { return crop_padding > 0 || horizontal_flip; }
};

/// A loaded data set. Factories fill it; the framework only reads it.
struct DataSet {
  std::string name;
  std::vector<std::int64_t> input_shape;  ///< shape of one example
  std::int64_t num_classes = 0;           ///< of the "label" target; 0 if none
  std::map<std::string, Split> splits;    ///< "train", and "val"/"test" where they exist
  double input_scale = 1.0;               ///< inputs are divided by it per batch (255 for uint8)
  std::vector<double> mean, std;          ///< per-channel normalisation after scaling; empty: none
  Augmentation augment;                   ///< for training streams
  /// Text-valued data (cross-lingual sets): the word of each row of the
  /// splits' inputs, and word-pair dictionaries ("train", "test").
  std::vector<std::string> words;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> word_pairs;

  /// The split or an error naming the data set and the splits it has.
  const Split& split(const std::string& name) const;
  bool has_split(const std::string& name) const { return splits.count(name) > 0; }
};

/// A batch drawn from a stream; `targets` is empty for unlabelled streams.
struct Batch {
  torch::Tensor inputs;
  std::map<std::string, torch::Tensor> targets;
  std::int64_t size() const { return inputs.size(0); }
  /// The target tensor or an error naming the targets the batch has.
  const torch::Tensor& target(const std::string& name = "label") const;
};

/// Float inputs on `device`, scaled and normalised as the data set says;
/// with `augment`, the data set's augmentation is applied first (drawing from
/// torch's default generator, which checkpoints save).
torch::Tensor prepare_inputs(const DataSet& data, const torch::Tensor& raw, const torch::Device& device,
                             bool augment = false);

/// Endless, reproducible batches over one split: each epoch is a permutation
/// drawn from (seed, epoch), so the position (epoch, index) is all the state a
/// checkpoint needs to resume the exact sequence.
class BatchStream {
 public:
  BatchStream(const DataSet& data, const Split& split, std::int64_t batch_size, std::uint64_t seed, bool labelled,
              torch::Device device);
  Batch next();
  std::int64_t epoch() const { return epoch_; }
  std::int64_t position() const { return position_; }
  void restore(std::int64_t epoch, std::int64_t position);
  std::int64_t batches_per_epoch() const;

 private:
  void reshuffle();
  const DataSet& data_;
  const Split& split_;
  std::int64_t batch_size_;
  std::uint64_t seed_;
  bool labelled_;
  torch::Device device_;
  std::int64_t epoch_ = 0;
  std::int64_t position_ = 0;
  torch::Tensor order_;
};

}  // namespace graft
