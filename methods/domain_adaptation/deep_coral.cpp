#include "methods/domain_adaptation/deep_coral.h"

#include "core/registries.h"

namespace graft {

namespace {
torch::Tensor covariance(const torch::Tensor& x) {
  const auto centred = x - x.mean(0, true);
  return torch::matmul(centred.t(), centred) / static_cast<double>(x.size(0) - 1);
}
}  // namespace

torch::Tensor coral_loss(const torch::Tensor& source, const torch::Tensor& target) {
  const double d = static_cast<double>(source.size(1));
  return (covariance(source) - covariance(target)).pow(2).sum() / (4.0 * d * d);
}

StepReport DeepCoral::train_step(StepContext& ctx) {
  const Forward f = forward_both(ctx);
  const auto task = task_loss(f, ctx);
  const auto coral = coral_loss(f.source_features(), f.target_features());
  (task + options_.weight * coral).backward();
  return {{{"loss.task", task.item<double>()}, {"loss.coral", coral.item<double>()}}};
}

GRAFT_REGISTER_METHOD(DeepCoral, "deep_coral", "match source and target feature covariances (Sun & Saenko 2016)");

}  // namespace graft
