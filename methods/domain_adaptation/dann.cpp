#include "methods/domain_adaptation/dann.h"

#include "core/registries.h"
#include "methods/domain_adaptation/gradient_reversal.h"

namespace graft {

double adversarial_lambda(const AdversarialOptions& options, double progress) {
  return scheduled_weight(options.lambda_schedule, progress, options.gamma, options.lambda_max);
}

void Dann::setup_extra(const SetupContext&, std::int64_t feature_dim, std::int64_t) {
  domain_head_ = register_module(
      "domain_head", make_mlp_head(feature_dim, adversarial_.domain_hidden, 1, "relu", adversarial_.domain_dropout,
                                   adversarial_.domain_batch_norm));
}

torch::Tensor Dann::domain_logits_of(const torch::Tensor& features, double lambda) {
  return domain_head_->forward(gradient_reversal(features, lambda)).squeeze(1);
}

StepReport Dann::train_step(StepContext& ctx) {
  const double lambda = lambda_at(ctx.progress());
  const Forward f = forward_both(ctx);
  const auto task = task_loss(f, ctx);
  // Domain labels: 0 for source rows, 1 for target rows.
  const auto domain_logits = domain_logits_of(f.features, lambda);
  const auto domain_labels = torch::cat({torch::zeros({f.source_rows}, f.features.options()),
                                         torch::ones({f.features.size(0) - f.source_rows}, f.features.options())});
  const auto domain = torch::nn::functional::binary_cross_entropy_with_logits(domain_logits, domain_labels);
  Metrics scalars;
  const auto extra = extra_term(f, scalars);
  (extra.defined() ? task + domain + extra : task + domain).backward();
  const double domain_accuracy =
      (domain_logits.detach() > 0).eq(domain_labels > 0.5).to(torch::kFloat64).mean().item<double>();
  scalars["loss.task"] = task.item<double>();
  scalars["loss.domain"] = domain.item<double>();
  scalars["lambda"] = lambda;
  scalars["domain_acc"] = domain_accuracy;
  return {scalars};
}

GRAFT_REGISTER_METHOD(Dann, "dann", "domain-adversarial training with gradient reversal (Ganin et al., JMLR 2016)");

}  // namespace graft
