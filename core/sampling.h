#pragma once
// Samplers: the order in which a training stream visits a split, one epoch at
// a time. An epoch's order depends on (seed, epoch) alone, so the position
// (epoch, index in the epoch) is all the state a checkpoint needs to resume
// the exact sequence of batches.

#include <cstdint>
#include <map>
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

/// As many draws per epoch as there are examples, each from a group drawn
/// uniformly, then an example of that group drawn uniformly (with
/// replacement): rare groups are seen as often as common ones (PyTorch's
/// WeightedRandomSampler with 1 / group-size weights). The groups are the
/// classes (class_balanced) or the source domains of a `domains` set
/// (domain_balanced, DomainBed's one minibatch per domain in expectation).
class BalancedSampler : public Sampler {
 public:
  BalancedSampler(const torch::Tensor& groups, std::uint64_t seed);
  torch::Tensor epoch_order(std::int64_t epoch) const override;

 private:
  std::vector<torch::Tensor> members_;  ///< indices of each group present
  std::int64_t size_;
  std::uint64_t seed_;
};

/// The sampler `name` ("shuffled", "class_balanced", "domain_balanced") over
/// a split of `size` examples whose targets are `targets` (class_balanced
/// groups by "label", domain_balanced by "domain").
std::unique_ptr<Sampler> make_sampler(const std::string& name, std::int64_t size,
                                      const std::map<std::string, torch::Tensor>& targets, std::uint64_t seed);

/// The names make_sampler knows, for option checks.
const std::vector<std::string>& sampler_names();

}  // namespace graft
