#include "core/sampling.h"

#include <fmt/format.h>

#include "core/error.h"

namespace graft {

namespace {
torch::Generator epoch_generator(std::uint64_t seed, std::int64_t epoch) {
  // One generator per (stream seed, epoch): the order depends on nothing else.
  return at::make_generator<at::CPUGeneratorImpl>(seed * 1000003ULL + static_cast<std::uint64_t>(epoch));
}
}  // namespace

torch::Tensor ShuffledSampler::epoch_order(std::int64_t epoch) const {
  auto generator = epoch_generator(seed_, epoch);
  return torch::randperm(size_, generator, torch::TensorOptions().dtype(torch::kInt64));
}

BalancedSampler::BalancedSampler(const torch::Tensor& groups, std::uint64_t seed) : size_(groups.size(0)), seed_(seed) {
  const auto counts = torch::bincount(groups.to(torch::kInt64));
  for (std::int64_t c = 0; c < counts.size(0); ++c)
    if (counts[c].item<std::int64_t>() > 0) members_.push_back(torch::nonzero(groups == c).view(-1));
}

torch::Tensor BalancedSampler::epoch_order(std::int64_t epoch) const {
  auto generator = epoch_generator(seed_, epoch);
  const auto classes = torch::randint(static_cast<std::int64_t>(members_.size()), {size_}, generator, torch::kInt64);
  const auto picks = torch::rand({size_}, generator, torch::kFloat64);
  auto order = torch::empty({size_}, torch::kInt64);
  const auto* c = classes.data_ptr<std::int64_t>();
  const auto* u = picks.data_ptr<double>();
  auto* out = order.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < size_; ++i) {
    const auto& m = members_[static_cast<std::size_t>(c[i])];
    const auto k = std::min(m.size(0) - 1, static_cast<std::int64_t>(u[i] * static_cast<double>(m.size(0))));
    out[i] = m.data_ptr<std::int64_t>()[k];
  }
  return order;
}

const std::vector<std::string>& sampler_names() {
  static const std::vector<std::string> names{"shuffled", "class_balanced", "domain_balanced"};
  return names;
}

std::unique_ptr<Sampler> make_sampler(const std::string& name, std::int64_t size,
                                      const std::map<std::string, torch::Tensor>& targets, std::uint64_t seed) {
  if (name == "shuffled") return std::make_unique<ShuffledSampler>(size, seed);
  if (name == "class_balanced" || name == "domain_balanced") {
    const char* group = name == "class_balanced" ? "label" : "domain";
    const auto it = targets.find(group);
    if (it == targets.end() || it->second.dim() != 1)
      throw Error(fmt::format("sampler {} needs a `{}` target (one whole number per example); this split has none{}",
                              name, group,
                              name == "domain_balanced" ? " (it balances the parts of a `domains` data set)" : ""));
    return std::make_unique<BalancedSampler>(it->second, seed);
  }
  throw Error(fmt::format("unknown sampler '{}'; {}", name, choices_hint(name, sampler_names())));
}

}  // namespace graft
