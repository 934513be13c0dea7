#include "methods/domain_adaptation/afn.h"

#include <cmath>

#include <fmt/format.h>

#include "core/error.h"
#include "core/registries.h"

namespace graft {

torch::Tensor feature_norm_distance(const torch::Tensor& features, const torch::Tensor& radius) {
  GRAFT_CHECK(features.dim() == 2 && radius.dim() == 1 && radius.size(0) == features.size(0), "afn",
              "the feature-norm term needs [n, d] features and an [n] radius, got [{}] and [{}]",
              fmt::join(features.sizes().vec(), "x"), fmt::join(radius.sizes().vec(), "x"));
  // The radius is a target, never a way for the gradient to reach theta_0.
  // norm's backward is 0, not NaN, for a zero row (a batch of dead ReLUs).
  return (radius.detach() - features.norm(2, {1})).pow(2).mean();
}

torch::Tensor stepwise_feature_norm(const torch::Tensor& features, double delta_r) {
  // h(x; theta_0): the norm these features have now, a constant of this step.
  return feature_norm_distance(features, features.norm(2, {1}).detach() + delta_r);
}

torch::Tensor l2_preserved_dropout(const torch::Tensor& x, double p, bool training) {
  if (!training || p <= 0.0) return x;
  // torch::dropout scales what it keeps by 1 / (1 - p); sqrt(1 - p) turns
  // that into the paper's 1 / sqrt(1 - p).
  return torch::dropout(x, p, /*train=*/true) * std::sqrt(1.0 - p);
}

StepReport Afn::train_step(StepContext& ctx) {
  const Batch& source = ctx.batch("source");
  const Batch& target = ctx.batch("target");
  // forward_both with the dropout between the features and the head: as in
  // the paper's FC-BN-ReLU-Dropout blocks, the head and the norm term see the
  // same dropped-out features.
  Forward f;
  f.source_rows = source.size();
  f.features = l2_preserved_dropout(features_of(torch::cat({source.inputs, target.inputs})), options_.dropout,
                                    is_training());
  f.logits = label_head_->forward(f.features);
  const auto task = task_loss(f, ctx);
  // Each domain's term is averaged over its own rows, then added (authors'
  // code, TLlib); see afn.h for how that relates to the paper's lambda.
  const auto norm = stepwise_feature_norm(f.source_features(), options_.delta_r) +
                    stepwise_feature_norm(f.target_features(), options_.delta_r);
  (task + options_.weight * norm).backward();
  // loss.norm is 2 delta_r^2 at every step by construction (the radius moves
  // with the features); the norms themselves are what the method changes.
  const auto norms = f.features.detach().norm(2, {1});
  return {{{"loss.task", task.item<double>()},
           {"loss.norm", norm.item<double>()},
           {"feature_norm", norms.mean().item<double>()},
           {"feature_norm.source", norms.slice(0, 0, f.source_rows).mean().item<double>()},
           {"feature_norm.target", norms.slice(0, f.source_rows).mean().item<double>()}}};
}

GRAFT_REGISTER_METHOD(Afn, "afn", "stepwise adaptive feature norm: feature norms grown step by step (Xu et al. 2019)");

}  // namespace graft
