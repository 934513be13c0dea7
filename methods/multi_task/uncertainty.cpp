#include "methods/multi_task/uncertainty.h"

#include "core/registries.h"

namespace graft {

torch::Tensor uncertainty_weighted_loss(const std::vector<torch::Tensor>& losses, const torch::Tensor& log_variances) {
  auto total = torch::zeros({}, log_variances.options());
  for (std::size_t k = 0; k < losses.size(); ++k) {
    const auto s = log_variances[static_cast<std::int64_t>(k)];
    total = total + 0.5 * torch::exp(-s) * losses[k] + 0.5 * s;
  }
  return total;
}

void UncertaintyWeighting::setup_extra(const SetupContext&) {
  log_variances_ = register_parameter("log_variances", torch::zeros({static_cast<std::int64_t>(tasks_.size())}));
}

Metrics UncertaintyWeighting::combine(const std::vector<torch::Tensor>& losses, const torch::Tensor&, StepContext&) {
  uncertainty_weighted_loss(losses, log_variances_).backward();
  Metrics weights;
  for (std::size_t k = 0; k < tasks_.size(); ++k)
    weights["weight." + tasks_[k].name] = 0.5 * std::exp(-log_variances_[static_cast<std::int64_t>(k)].item<double>());
  return weights;
}

GRAFT_REGISTER_METHOD(UncertaintyWeighting, "uncertainty", "multi-task: learned homoscedastic-uncertainty weights (Kendall et al. 2018)");

}  // namespace graft
