#include "methods/domain_adaptation/dan.h"

#include <cmath>

#include "core/registries.h"
#include "methods/domain_adaptation/gradient_reversal.h"

namespace graft {

torch::Tensor squared_distances(const torch::Tensor& rows) {
  // From the Gram matrix: cdist's square root has an infinite derivative at
  // the zero diagonal.
  const auto squared_norms = rows.pow(2).sum(1);
  return (squared_norms.unsqueeze(1) + squared_norms.unsqueeze(0) - 2.0 * rows.matmul(rows.t())).clamp_min(0.0);
}

torch::Tensor gaussian_kernel_family(const torch::Tensor& squared_distances, const torch::Tensor& bandwidth,
                                     std::int64_t kernels, double multiplier) {
  auto k = torch::zeros_like(squared_distances);
  for (std::int64_t u = 0; u < kernels; ++u)
    k = k + torch::exp(-squared_distances / (bandwidth * std::pow(multiplier, static_cast<double>(u - kernels / 2))));
  return k;
}

torch::Tensor mmd_from_kernel(const torch::Tensor& kernel, std::int64_t n) {
  return kernel.slice(0, 0, n).slice(1, 0, n).mean() + kernel.slice(0, n).slice(1, n).mean() -
         2.0 * kernel.slice(0, 0, n).slice(1, n).mean();
}

torch::Tensor mk_mmd(const torch::Tensor& source, const torch::Tensor& target, std::int64_t kernels,
                     double multiplier) {
  const std::int64_t n = source.size(0);
  const auto joint = torch::cat({source, target});
  const auto distances = squared_distances(joint);
  // Features that coincide (dead ReLUs) give sigma = 0; the floor keeps the
  // kernels finite (all 1, MMD 0) instead of 0/0.
  const auto sigma =
      (distances.detach().sum() / static_cast<double>(joint.size(0) * (joint.size(0) - 1))).clamp_min(1e-12);
  return mmd_from_kernel(gaussian_kernel_family(distances, sigma, kernels, multiplier), n);
}

double Dan::weight_at(double progress) const {
  return scheduled_weight(options_.weight_schedule, progress, options_.gamma, options_.weight);
}

StepReport Dan::train_step(StepContext& ctx) {
  const double weight = weight_at(ctx.progress());
  const Forward f = forward_both(ctx);
  const auto task = task_loss(f, ctx);
  const auto mmd = mk_mmd(f.source_features(), f.target_features(), options_.kernels, options_.multiplier);
  (task + weight * mmd).backward();
  return {{{"loss.task", task.item<double>()}, {"loss.mmd", mmd.item<double>()}, {"weight", weight}}};
}

GRAFT_REGISTER_METHOD(Dan, "dan", "multi-kernel MMD between source and target features (Long et al. 2015)");

}  // namespace graft
