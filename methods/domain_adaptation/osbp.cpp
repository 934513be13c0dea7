#include "methods/domain_adaptation/osbp.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/registries.h"
#include "methods/domain_adaptation/gradient_reversal.h"

namespace graft {

torch::Tensor unknown_class_bce(const torch::Tensor& target_logits, double t, double log_offset) {
  GRAFT_CHECK(target_logits.dim() == 2 && target_logits.size(0) > 0 && target_logits.size(1) >= 2, "osbp",
              "unknown_class_bce expects target logits [batch, known classes + 1] with at least one known class, "
              "got [{}]",
              fmt::join(target_logits.sizes(), ", "));
  GRAFT_CHECK(t >= 0.0 && t <= 1.0, "osbp", "t must be in [0, 1], got {}", t);
  GRAFT_CHECK(log_offset >= 0.0, "osbp", "log_offset must be >= 0, got {}", log_offset);
  const std::int64_t unknown = target_logits.size(1) - 1;
  torch::Tensor log_unknown, log_known;  // log p_{K+1} and log(1 - p_{K+1}) per row
  if (log_offset > 0.0) {
    const auto p_unknown = torch::softmax(target_logits, 1).select(1, unknown);
    log_unknown = torch::log(p_unknown + log_offset);
    log_known = torch::log(1.0 - p_unknown + log_offset);
  } else {
    // 1 - p_{K+1} rounds to 0 once the unknown logit leads by ~17 (float32),
    // and G is rewarded for getting there: stay in log space.
    const auto log_total = torch::logsumexp(target_logits, 1);
    log_unknown = target_logits.select(1, unknown) - log_total;
    log_known = torch::logsumexp(target_logits.slice(1, 0, unknown), 1) - log_total;
  }
  return -(t * log_unknown + (1.0 - t) * log_known).mean();
}

void Osbp::setup_extra(const SetupContext& ctx, std::int64_t, std::int64_t classes) {
  const DataSet& source = ctx.domain(options_.source);
  const DataSet& target = ctx.domain(options_.target);
  GRAFT_CHECK(source.unknown_class < 0, "method 'osbp'",
              "source '{}' has an unknown class (label {}); OSBP learns 'unknown' from the target alone: drop "
              "`unknown:` from the source's class_subset",
              source.name, source.unknown_class);
  // The metrics call a prediction unknown when it is >= the target's unknown
  // label; the head's unknown output is K, so the two must agree.
  GRAFT_CHECK(target.unknown_class < 0 || target.unknown_class == classes, "method 'osbp'",
              "target '{}' labels its unknown examples {}, but the source '{}' has {} classes, so OSBP's unknown "
              "output is {}; keep the same known classes 0..{} in both domains (class_subset `keep:` on the "
              "source, `unknown:` on the target)",
              target.name, target.unknown_class, source.name, classes, classes, classes - 1);
}

StepReport Osbp::train_step(StepContext& ctx) {
  const Batch& source = ctx.batch("source");
  const Batch& target = ctx.batch("target");
  Forward f;
  f.source_rows = source.size();
  f.features = features_of(torch::cat({source.inputs, target.inputs}));
  // One pass of the head over both domains, the reversal on the target rows
  // only: the source's cross-entropy trains G and C alike, L_adv trains C and
  // reaches G reversed.
  const auto head_inputs = torch::cat(
      {f.source_features(), gradient_reversal(f.target_features(), options_.grl_coefficient)});
  f.logits = label_head_->forward(head_inputs);
  const auto task = task_loss(f, ctx);
  const auto target_logits = f.target_logits();
  const auto adversarial = unknown_class_bce(target_logits, options_.t, options_.log_offset);
  (task + adversarial).backward();

  const auto detached = target_logits.detach();
  const std::int64_t unknown = detached.size(1) - 1;
  return {{{"loss.task", task.item<double>()},
           {"loss.adversarial", adversarial.item<double>()},
           {"p_unknown", torch::softmax(detached, 1).select(1, unknown).mean().item<double>()},
           {"unknown_rate", detached.argmax(1).eq(unknown).to(torch::kFloat64).mean().item<double>()}}};
}

GRAFT_REGISTER_METHOD(Osbp, "osbp",
                      "open-set adaptation: a K+1-th 'unknown' output, p(unknown) pushed to t on the target by "
                      "the classifier and away from it by the features (Saito et al., ECCV 2018)");

}  // namespace graft
