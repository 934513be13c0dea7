#include "methods/multi_task/pcgrad.h"

#include "core/registries.h"

namespace graft {

torch::Tensor pcgrad_combine(const torch::Tensor& gradients, const std::vector<std::vector<std::int64_t>>& order) {
  auto projected = gradients.clone();
  for (std::int64_t i = 0; i < gradients.size(0); ++i) {
    auto g = projected[i];
    for (std::int64_t j : order[static_cast<std::size_t>(i)]) {
      if (j == i) continue;
      const auto other = gradients[j];
      const double dot = torch::dot(g, other).item<double>();
      if (dot < 0) g.sub_(other * (dot / other.pow(2).sum().item<double>()));
    }
  }
  return projected.sum(0);
}

Metrics PcGrad::combine(const std::vector<torch::Tensor>& losses, const torch::Tensor&, StepContext& ctx) {
  std::vector<torch::Tensor> grads;
  for (const auto& loss : losses) grads.push_back(shared_gradient(loss));
  ctx.reduce(grads);  // across processes before the projection sees them
  const auto k = static_cast<std::int64_t>(losses.size());
  std::vector<std::vector<std::int64_t>> order;
  std::int64_t conflicts = 0;
  for (std::int64_t i = 0; i < k; ++i) {
    // Random order per task, from torch's generator (seeded, checkpointed).
    const auto perm = torch::randperm(k, torch::kInt64);
    order.emplace_back(perm.data_ptr<std::int64_t>(), perm.data_ptr<std::int64_t>() + k);
    for (std::int64_t j = i + 1; j < k; ++j) conflicts += torch::dot(grads[i], grads[j]).item<double>() < 0;
  }
  set_shared_gradient(pcgrad_combine(torch::stack(grads), order));
  backward_heads(losses, std::vector<double>(losses.size(), 1.0));
  return {{"conflicting_pairs", static_cast<double>(conflicts)}};
}

GRAFT_REGISTER_METHOD(PcGrad, "pcgrad", "multi-task: project away conflicting task gradients (Yu et al. 2020)");

}  // namespace graft
