#include "methods/domain_adaptation/iwan.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/registries.h"
#include "methods/domain_adaptation/gradient_reversal.h"
#include "methods/domain_adaptation/mcd.h"

namespace graft {

namespace F = torch::nn::functional;

namespace {

// A domain classifier has one output; [B] and [B, 1] both come from it.
void check_iwan_logits(const torch::Tensor& logits, const char* what) {
  GRAFT_CHECK((logits.dim() == 1 || (logits.dim() == 2 && logits.size(1) == 1)) && logits.size(0) > 0, "iwan",
              "{} must be a non-empty [batch] or [batch, 1] of one domain classifier's logits, got [{}]", what,
              fmt::join(logits.sizes(), ", "));
}

}  // namespace

torch::Tensor importance_weights(const torch::Tensor& source_logits) {
  check_iwan_logits(source_logits, "importance_weights' source logits");
  const auto logits = source_logits.detach().reshape({-1});
  // 1 - sigmoid(d) = sigmoid(-d); dividing by the batch mean is B softmax of
  // its log, which stays finite where every 1 - sigmoid(d) rounds to 0.
  const auto weights = static_cast<double>(logits.numel()) * torch::softmax(torch::log_sigmoid(-logits), 0);
  return weights.reshape(source_logits.sizes());
}

torch::Tensor iwan_domain_loss(const torch::Tensor& source_logits, const torch::Tensor& target_logits,
                               const torch::Tensor& source_weights) {
  check_iwan_logits(source_logits, "iwan_domain_loss' source logits");
  check_iwan_logits(target_logits, "iwan_domain_loss' target logits");
  auto source = F::binary_cross_entropy_with_logits(source_logits, torch::ones_like(source_logits),
                                                    F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone));
  if (source_weights.defined()) {
    GRAFT_CHECK(source_weights.numel() == source_logits.numel(), "iwan",
                "iwan_domain_loss needs one weight per source row: {} weights [{}] for source logits [{}]",
                source_weights.numel(), fmt::join(source_weights.sizes(), ", "), fmt::join(source_logits.sizes(), ", "));
    source = source * source_weights.reshape(source.sizes());
  }
  const auto target = F::binary_cross_entropy_with_logits(target_logits, torch::zeros_like(target_logits));
  return 0.5 * (source.mean() + target);
}

void Iwan::setup_extra(const SetupContext& /*ctx*/, std::int64_t feature_dim, std::int64_t /*classes*/) {
  // D and D0 have one architecture, as in the paper and TLlib.
  auto make_head = [&] {
    return make_mlp_head(feature_dim, options_.domain_hidden, 1, "relu", options_.domain_dropout,
                         options_.domain_batch_norm);
  };
  importance_head_ = register_module("importance_head", make_head());
  domain_head_ = register_module("domain_head", make_head());
}

StepReport Iwan::train_step(StepContext& ctx) {
  const double lambda = lambda_at(ctx.progress());
  const Forward f = forward_both(ctx);
  const std::int64_t rows = f.source_rows;
  const auto task = task_loss(f, ctx);

  // D only measures the domains: detached, its loss reaches no feature.
  const auto importance_logits = importance_head_->forward(f.features.detach()).squeeze(1);
  const auto source_importance = importance_logits.slice(0, 0, rows);
  const auto importance = iwan_domain_loss(source_importance, importance_logits.slice(0, rows));
  const auto weights = importance_weights(source_importance);

  const auto domain_logits = domain_head_->forward(gradient_reversal(f.features, lambda)).squeeze(1);
  const auto domain = iwan_domain_loss(domain_logits.slice(0, 0, rows), domain_logits.slice(0, rows), weights);
  const auto entropy = mean_entropy(torch::softmax(f.target_logits(), 1));

  (task + options_.importance_factor * options_.weight * importance + options_.weight * domain +
   options_.entropy_weight * entropy)
      .backward();

  const auto labels = torch::cat({torch::ones({rows}, torch::kBool),
                                  torch::zeros({importance_logits.size(0) - rows}, torch::kBool)})
                          .to(importance_logits.device());
  const double importance_accuracy =
      (importance_logits.detach() > 0).eq(labels).to(torch::kFloat64).mean().item<double>();
  return {{{"loss.task", task.item<double>()},
           {"loss.importance", importance.item<double>()},
           {"loss.domain", domain.item<double>()},
           {"loss.entropy", entropy.item<double>()},
           {"lambda", lambda},
           {"importance_acc", importance_accuracy},
           {"weight_max", weights.max().item<double>()}}};
}

GRAFT_REGISTER_METHOD(Iwan, "iwan",
                      "importance weighted adversarial nets for partial DA: a second domain classifier weighs the "
                      "source (Zhang et al., CVPR 2018)");

}  // namespace graft
