#include "methods/domain_adaptation/jan.h"

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "core/error.h"
#include "core/registries.h"
#include "methods/domain_adaptation/dan.h"  // squared_distances, the kernel family, the MMD estimate
#include "methods/domain_adaptation/gradient_reversal.h"

namespace graft {

namespace {

std::string shape_text(const torch::Tensor& t) { return fmt::format("[{}]", fmt::join(t.sizes(), ", ")); }

}  // namespace

torch::Tensor jmmd(const torch::Tensor& source_features, const torch::Tensor& source_predictions,
                   const torch::Tensor& target_features, const torch::Tensor& target_predictions,
                   const JmmdKernels& kernels) {
  GRAFT_CHECK(source_features.dim() == 2 && target_features.dim() == 2 &&
                  source_features.size(1) == target_features.size(1),
              "jmmd", "expected source and target features [rows, d] of one width, got {} and {}",
              shape_text(source_features), shape_text(target_features));
  GRAFT_CHECK(source_predictions.dim() == 2 && target_predictions.dim() == 2 &&
                  source_predictions.size(0) == source_features.size(0) &&
                  target_predictions.size(0) == target_features.size(0) &&
                  source_predictions.size(1) == target_predictions.size(1),
              "jmmd",
              "expected one prediction row [classes] per feature row, got predictions {} and {} for features {} and {}",
              shape_text(source_predictions), shape_text(target_predictions), shape_text(source_features),
              shape_text(target_features));
  GRAFT_CHECK(source_features.size(0) > 0 && target_features.size(0) > 0, "jmmd",
              "both batches need at least one row, got {} source and {} target rows", source_features.size(0),
              target_features.size(0));
  GRAFT_CHECK(kernels.kernels >= 1 && kernels.multiplier > 0.0 && kernels.prediction_sigma > 0.0 &&
                  kernels.feature_bandwidth >= 0.0,
              "jmmd",
              "kernels must be >= 1 and multiplier, prediction_sigma > 0, feature_bandwidth >= 0; got {}, {}, {}, {}",
              kernels.kernels, kernels.multiplier, kernels.prediction_sigma, kernels.feature_bandwidth);

  const std::int64_t n = source_features.size(0);
  // Feature kernels: a family of bandwidths around beta. Features that coincide
  // (dead ReLUs) give beta = 0; the floor keeps the kernels finite (all 1,
  // JMMD 0) instead of 0/0, as in dan.cpp.
  const auto feature_distances = squared_distances(torch::cat({source_features, target_features}));
  const torch::Tensor beta = kernels.feature_bandwidth > 0.0
                                 ? torch::scalar_tensor(kernels.feature_bandwidth, feature_distances.options())
                                 : feature_distances.detach().mean().clamp_min(1e-12);
  const auto feature_kernel = gaussian_kernel_family(feature_distances, beta, kernels.kernels, kernels.multiplier);
  // Prediction kernel: one fixed bandwidth, as in TLlib's example. Predictions
  // lie on the simplex (squared distances in [0, 2]), so their scale does not
  // drift during training as the features' does.
  const auto prediction_kernel =
      torch::exp(-squared_distances(torch::cat({source_predictions, target_predictions})) /
                 (2.0 * kernels.prediction_sigma * kernels.prediction_sigma));
  // The product kernel of the joint embedding.
  return mmd_from_kernel(feature_kernel * prediction_kernel, n);
}

double Jan::weight_at(double progress) const {
  return scheduled_weight(options_.weight_schedule, progress, options_.gamma, options_.weight);
}

StepReport Jan::train_step(StepContext& ctx) {
  const double weight = weight_at(ctx.progress());
  const Forward f = forward_both(ctx);
  const auto task = task_loss(f, ctx);
  const auto predictions = torch::softmax(f.logits, 1);
  const auto joint = jmmd(f.source_features(), predictions.slice(0, 0, f.source_rows), f.target_features(),
                          predictions.slice(0, f.source_rows),
                          {options_.kernels, options_.multiplier, options_.prediction_sigma});
  (task + weight * joint).backward();
  return {{{"loss.task", task.item<double>()}, {"loss.jmmd", joint.item<double>()}, {"weight", weight}}};
}

GRAFT_REGISTER_METHOD(Jan, "jan", "joint MMD of features and predictions between domains (Long et al., ICML 2017)");

}  // namespace graft
