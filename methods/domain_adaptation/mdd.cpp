#include "methods/domain_adaptation/mdd.h"

#include <limits>

#include <fmt/format.h>

#include "core/error.h"
#include "core/registries.h"
#include "methods/domain_adaptation/gradient_reversal.h"

namespace graft {

namespace {

void check_mdd_pair(const torch::Tensor& logits, const torch::Tensor& adversarial, const char* domain) {
  GRAFT_CHECK(logits.dim() == 2 && logits.size(0) > 0 && logits.sizes() == adversarial.sizes(), "mdd",
              "mdd_loss expects {} logits of the main and the adversarial head of one shape [batch, classes], "
              "got [{}] and [{}]",
              domain, fmt::join(logits.sizes(), ", "), fmt::join(adversarial.sizes(), ", "));
}

}  // namespace

torch::Tensor mdd_loss(const torch::Tensor& source_logits, const torch::Tensor& source_adversarial_logits,
                       const torch::Tensor& target_logits, const torch::Tensor& target_adversarial_logits,
                       double margin, double target_log_offset) {
  check_mdd_pair(source_logits, source_adversarial_logits, "source");
  check_mdd_pair(target_logits, target_adversarial_logits, "target");
  const std::int64_t classes = source_logits.size(1);
  GRAFT_CHECK(target_logits.size(1) == classes, "mdd",
              "source and target logits must have the same number of classes, got {} and {}", classes,
              target_logits.size(1));
  // With one class f' could never disagree with f: log(1 - sigma) = log 0.
  GRAFT_CHECK(classes >= 2, "mdd", "mdd_loss needs at least 2 classes, got {}", classes);
  GRAFT_CHECK(margin > 0.0, "mdd", "margin must be positive, got {}", margin);
  GRAFT_CHECK(target_log_offset >= 0.0, "mdd", "target_log_offset must be >= 0, got {}", target_log_offset);

  // h_f: the main head's predictions, an argmax, so f receives no gradient from MDD.
  const auto source_predictions = source_logits.detach().argmax(1);
  const auto target_predictions = target_logits.detach().argmax(1);

  const auto source_disparity =
      torch::nn::functional::cross_entropy(source_adversarial_logits, source_predictions);

  torch::Tensor log_disagreement;  // log(1 - sigma_{h_f}(z')) per target row
  if (target_log_offset > 0.0) {
    const auto agreement =
        torch::softmax(target_adversarial_logits, 1).gather(1, target_predictions.unsqueeze(1)).squeeze(1);
    log_disagreement = torch::log(torch::clamp_max(1.0 - agreement + target_log_offset, 1.0));
  } else {
    // log sum_{j != k} e^z_j - log sum_j e^z_j: exact where 1 - softmax would round to 0.
    const auto others = target_adversarial_logits.masked_fill(
        torch::one_hot(target_predictions, classes).to(torch::kBool), -std::numeric_limits<double>::infinity());
    log_disagreement = torch::logsumexp(others, 1) - torch::logsumexp(target_adversarial_logits, 1);
  }
  return margin * source_disparity - log_disagreement.mean();
}

double Mdd::grl_coefficient_at(double progress) const {
  return scheduled_weight(options_.grl_schedule, progress, options_.grl_gamma, options_.grl_max);
}

void Mdd::setup_extra(const SetupContext&, std::int64_t feature_dim, std::int64_t classes) {
  // The paper's f' ranges over the same hypothesis class as f: the same shape by default.
  const auto& hidden = options_.adversarial_hidden.empty() ? options_.head_hidden : options_.adversarial_hidden;
  adversarial_head_ = register_module("adversarial_head", make_mlp_head(feature_dim, hidden, classes));
}

StepReport Mdd::train_step(StepContext& ctx) {
  const double coefficient = grl_coefficient_at(ctx.progress());
  const Forward f = forward_both(ctx);
  const auto task = task_loss(f, ctx);
  const auto adversarial = adversarial_head_->forward(gradient_reversal(f.features, coefficient));
  const auto mdd = mdd_loss(f.source_logits(), adversarial.slice(0, 0, f.source_rows), f.target_logits(),
                            adversarial.slice(0, f.source_rows), options_.margin, options_.target_log_offset);
  (task + options_.weight * mdd).backward();
  return {{{"loss.task", task.item<double>()}, {"loss.mdd", mdd.item<double>()}, {"grl_coefficient", coefficient}}};
}

GRAFT_REGISTER_METHOD(Mdd, "mdd",
                      "margin disparity discrepancy with an adversarial classifier (Zhang et al., ICML 2019)");

}  // namespace graft
