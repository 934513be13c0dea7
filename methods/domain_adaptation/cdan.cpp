#include "methods/domain_adaptation/cdan.h"

#include <cmath>

#include "core/registries.h"
#include "methods/domain_adaptation/gradient_reversal.h"

namespace graft {

torch::Tensor multilinear_map(const torch::Tensor& features, const torch::Tensor& predictions) {
  return torch::bmm(predictions.unsqueeze(2), features.unsqueeze(1)).flatten(1);
}

torch::Tensor entropy_weights(const torch::Tensor& predictions) {
  const auto entropy = -(predictions * torch::log(predictions.clamp_min(1e-12))).sum(1);
  const auto w = 1.0 + torch::exp(-entropy);
  return w / w.mean();
}

void Cdan::setup_extra(const SetupContext&, std::int64_t feature_dim, std::int64_t classes) {
  std::int64_t input = feature_dim * classes;
  if (input > options_.random_dim) {
    // Fixed (registered as buffers: saved in checkpoints, never trained).
    random_features_ = register_buffer("random_features", torch::randn({feature_dim, options_.random_dim}));
    random_predictions_ = register_buffer("random_predictions", torch::randn({classes, options_.random_dim}));
    input = options_.random_dim;
  }
  domain_head_ = register_module("domain_head",
                                 make_mlp_head(input, options_.domain_hidden, 1, "relu", options_.domain_dropout,
                                               options_.domain_batch_norm));
}

torch::Tensor Cdan::conditioning(const torch::Tensor& features, const torch::Tensor& predictions) const {
  if (!random_features_.defined()) return multilinear_map(features, predictions);
  return torch::matmul(features, random_features_) * torch::matmul(predictions, random_predictions_) /
         std::sqrt(static_cast<double>(options_.random_dim));
}

StepReport Cdan::train_step(StepContext& ctx) {
  const double lambda = adversarial_lambda(options_, ctx.progress());
  const Forward f = forward_both(ctx);
  const auto task = task_loss(f, ctx);
  // As in the authors' code, the predictions condition the discriminator but
  // receive no adversarial gradient themselves.
  const auto predictions = torch::softmax(f.logits, 1).detach();
  const auto h = conditioning(gradient_reversal(f.features, lambda), predictions);
  const auto domain_logits = domain_head_->forward(h).squeeze(1);
  const auto domain_labels = torch::cat({torch::zeros({f.source_rows}, f.features.options()),
                                         torch::ones({f.features.size(0) - f.source_rows}, f.features.options())});
  torch::Tensor weights;
  if (options_.entropy) weights = entropy_weights(predictions);
  const auto domain = torch::nn::functional::binary_cross_entropy_with_logits(
      domain_logits, domain_labels,
      torch::nn::functional::BinaryCrossEntropyWithLogitsFuncOptions().weight(weights));
  (task + domain).backward();
  return {{{"loss.task", task.item<double>()}, {"loss.domain", domain.item<double>()}, {"lambda", lambda}}};
}

GRAFT_REGISTER_METHOD(Cdan, "cdan", "conditional adversarial adaptation on features x predictions, +E option (Long et al. 2018)");

}  // namespace graft
