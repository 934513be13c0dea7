#pragma once
// Batching, prefetching and the move to the device. A training stream is a
// sampler's order cut into batches; an in-memory split is gathered and
// prepared on the calling thread, as it always was; a split read from disk is
// decoded and transformed on worker threads, several batches ahead, in a
// bounded queue: memory is bounded by `prefetch` batches, not by the data set.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <torch/torch.h>

#include "core/data.h"
#include "core/sampling.h"

namespace graft {

struct LoaderOptions {
  std::int64_t workers = 2;   ///< threads decoding examples read from disk (0: the calling thread)
  std::int64_t prefetch = 4;  ///< batches prepared ahead of the one in use
};

/// The examples of one batch, and the epoch they are drawn in (their
/// transforms' randomness comes from (seed, epoch, index)).
struct BatchPlan {
  std::int64_t epoch = 0;
  torch::Tensor indices;  ///< int64 [B]
};

/// Decodes and transforms the examples of a split read from disk, on worker
/// threads, in the order `next_plan` gives, up to `prefetch` batches ahead.
class ExampleLoader {
 public:
  /// `next_plan` is called on worker threads (one at a time) and returns
  /// nothing once there are no more batches.
  ExampleLoader(const Split& split, const TransformPipeline* pipeline, std::uint64_t seed, LoaderOptions options,
                bool pin_memory, std::function<std::optional<BatchPlan>()> next_plan);
  ~ExampleLoader();
  ExampleLoader(const ExampleLoader&) = delete;
  ExampleLoader& operator=(const ExampleLoader&) = delete;

  /// The next batch in plan order: inputs float [B, ...] and the indices
  /// actually used (an unreadable image skipped is replaced by the next
  /// readable one). Rethrows a worker's error. Nothing: no batches left.
  std::optional<std::pair<torch::Tensor, torch::Tensor>> take();
  /// Images skipped as unreadable so far (readers that allow skipping).
  std::int64_t skipped() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// What a training stream draws and how.
struct StreamOptions {
  std::int64_t batch_size = 64;
  std::uint64_t seed = 0;
  bool labelled = true;                ///< false: targets are withheld
  std::string sampler = "shuffled";    ///< core/sampling.h
  LoaderOptions loader;
};

/// Endless, reproducible batches over one split. Each epoch's order comes
/// from the sampler at (seed, epoch); the ragged tail of an epoch is dropped.
/// The position (epoch, index) is all the state a checkpoint needs.
class BatchStream {
 public:
  BatchStream(const DataSet& data, const std::string& split, StreamOptions options, torch::Device device);
  ~BatchStream();
  BatchStream(BatchStream&&) noexcept;
  Batch next();
  std::int64_t epoch() const { return epoch_; }
  std::int64_t position() const { return position_; }
  void restore(std::int64_t epoch, std::int64_t position);
  std::int64_t batches_per_epoch() const;

 private:
  void start_loader();

  const DataSet* data_;
  const Split* split_;
  const TransformPipeline* pipeline_ = nullptr;
  StreamOptions options_;
  torch::Device device_;
  std::shared_ptr<const Sampler> sampler_;
  std::int64_t epoch_ = 0;
  std::int64_t position_ = 0;
  torch::Tensor order_;
  std::unique_ptr<ExampleLoader> loader_;  ///< splits read from disk only
};

/// The shape of one input of `split` as batches hold it: in memory, the
/// inputs' shape less the first dimension; from disk, example 0 decoded
/// through the split's transforms (an error names its file).
std::vector<std::int64_t> example_shape(const DataSet& data, const std::string& split);

/// Every example of a split once, in order, in batches of `batch_size` (the
/// last may be smaller), prepared for evaluation (no augmentation; the
/// split's transforms drawn at epoch 0) and moved to `device`. `limit` >= 0
/// stops after that many examples.
void for_each_batch(const DataSet& data, const std::string& split, std::int64_t batch_size, const torch::Device& device,
                    const LoaderOptions& loader, const std::function<void(const Batch&)>& visit,
                    std::int64_t limit = -1);

}  // namespace graft
