#pragma once
// Samplers: the order in which a training stream visits a split, one epoch at
// a time. An epoch's order depends on (seed, epoch) alone, so the position
// (epoch, index in the epoch) is all the state a checkpoint needs to resume
// the exact sequence of batches.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace graft {

class Sampler {
 public:
  virtual ~Sampler() = default;
  /// Indices into the split for epoch `epoch` (int64 [n]).
  virtual torch::Tensor epoch_order(std::int64_t epoch) const = 0;
};

/// Every example once per epoch, in a fresh permutation (torch.randperm of a
/// generator seeded with seed * 1000003 + epoch).
class ShuffledSampler : public Sampler {
 public:
  ShuffledSampler(std::int64_t size, std::uint64_t seed) : size_(size), seed_(seed) {}
  torch::Tensor epoch_order(std::int64_t epoch) const override;

 private:
  std::int64_t size_;
  std::uint64_t seed_;
};

/// As many draws per epoch as there are examples, each from a class drawn
/// uniformly, then an example of that class drawn uniformly (with
/// replacement): rare classes are seen as often as common ones (PyTorch's
/// WeightedRandomSampler with 1 / class-count weights).
class ClassBalancedSampler : public Sampler {
 public:
  ClassBalancedSampler(const torch::Tensor& labels, std::uint64_t seed);
  torch::Tensor epoch_order(std::int64_t epoch) const override;

 private:
  std::vector<torch::Tensor> members_;  ///< indices of each class present
  std::int64_t size_;
  std::uint64_t seed_;
};

/// The sampler `name` ("shuffled", "class_balanced") over a split of `size`
/// examples with class labels `labels` (needed by class_balanced only).
std::unique_ptr<Sampler> make_sampler(const std::string& name, std::int64_t size, const torch::Tensor& labels,
                                      std::uint64_t seed);

/// The names make_sampler knows, for option checks.
const std::vector<std::string>& sampler_names();

}  // namespace graft
