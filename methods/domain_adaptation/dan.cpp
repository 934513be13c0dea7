#include "methods/domain_adaptation/dan.h"

#include <cmath>

#include "core/registries.h"

namespace graft {

torch::Tensor mk_mmd(const torch::Tensor& source, const torch::Tensor& target, std::int64_t kernels,
                     double multiplier) {
  const std::int64_t n = source.size(0);
  const auto joint = torch::cat({source, target});
  const auto distances = torch::cdist(joint, joint).pow(2);
  const auto sigma = distances.detach().sum() / static_cast<double>(joint.size(0) * (joint.size(0) - 1));
  auto k = torch::zeros_like(distances);
  for (std::int64_t u = 0; u < kernels; ++u)
    k = k + torch::exp(-distances / (sigma * std::pow(multiplier, static_cast<double>(u - kernels / 2))));
  return k.slice(0, 0, n).slice(1, 0, n).mean() + k.slice(0, n).slice(1, n).mean() -
         2.0 * k.slice(0, 0, n).slice(1, n).mean();
}

StepReport Dan::train_step(StepContext& ctx) {
  const Forward f = forward_both(ctx);
  const auto task = task_loss(f, ctx);
  const auto mmd = mk_mmd(f.source_features(), f.target_features(), options_.kernels, options_.multiplier);
  (task + options_.weight * mmd).backward();
  return {{{"loss.task", task.item<double>()}, {"loss.mmd", mmd.item<double>()}}};
}

GRAFT_REGISTER_METHOD(Dan, "dan", "multi-kernel MMD between source and target features (Long et al. 2015)");

}  // namespace graft
