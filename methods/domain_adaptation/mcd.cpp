#include "methods/domain_adaptation/mcd.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/model.h"
#include "core/registries.h"

namespace graft {

torch::Tensor classifier_discrepancy(const torch::Tensor& probabilities1, const torch::Tensor& probabilities2) {
  GRAFT_CHECK(probabilities1.dim() == 2 && probabilities1.sizes() == probabilities2.sizes(), "mcd",
              "classifier_discrepancy expects two probability matrices [batch, classes] of one shape, got [{}] and [{}]",
              fmt::join(probabilities1.sizes(), ", "), fmt::join(probabilities2.sizes(), ", "));
  return (probabilities1 - probabilities2).abs().mean();
}

torch::Tensor mean_entropy(const torch::Tensor& probabilities) {
  return -(probabilities * probabilities.clamp_min(1e-12).log()).sum(1).mean();
}

void Mcd::setup_extra(const SetupContext& /*ctx*/, std::int64_t feature_dim, std::int64_t classes) {
  second_head_ = register_module("second_head", make_mlp_head(feature_dim, common_.head_hidden, classes));
}

std::vector<std::string> Mcd::feature_groups() const {
  std::vector<std::string> groups{"backbone"};
  if (bottleneck_) groups.push_back("bottleneck");
  return groups;
}

StepReport Mcd::train_step(StepContext& ctx) {
  const Batch& source = ctx.batch("source");
  const Batch& target = ctx.batch("target");
  const std::int64_t source_rows = source.size();
  const auto inputs = torch::cat({source.inputs, target.inputs});
  const auto& labels = source.target("label");
  // Both classifiers' source cross-entropy, the target entropy term, and the
  // target discrepancy, from features of cat(source, target).
  struct Terms {
    torch::Tensor task, entropy, discrepancy;
  };
  auto terms_of = [&](const torch::Tensor& features) {
    const auto logits1 = label_head_->forward(features), logits2 = second_head_->forward(features);
    const auto target1 = torch::softmax(logits1.slice(0, source_rows), 1);
    const auto target2 = torch::softmax(logits2.slice(0, source_rows), 1);
    namespace F = torch::nn::functional;
    return Terms{F::cross_entropy(logits1.slice(0, 0, source_rows), labels) +
                     F::cross_entropy(logits2.slice(0, 0, source_rows), labels),
                 mean_entropy(target1) + mean_entropy(target2), classifier_discrepancy(target1, target2)};
  };

  // A: everything on the source (eq. 2).
  const Terms a = terms_of(features_of(inputs));
  (a.task + options_.entropy_weight * a.entropy).backward();
  ctx.update({});

  // B: the classifiers find the target examples they disagree on (eq. 4-5);
  // G's features are held fixed.
  const Terms b = terms_of(features_of(inputs).detach());
  (b.task + options_.entropy_weight * b.entropy - options_.weight * b.discrepancy).backward();
  ctx.update({"label_head", "second_head"});

  // C: G makes them agree on the target (eq. 6); only G's groups step.
  double generator = 0;
  for (std::int64_t k = 0; k < options_.num_k; ++k) {
    const auto features = features_of(target.inputs);
    const auto discrepancy = classifier_discrepancy(torch::softmax(label_head_->forward(features), 1),
                                                    torch::softmax(second_head_->forward(features), 1));
    (options_.weight * discrepancy).backward();
    ctx.update(feature_groups());
    generator += discrepancy.item<double>() / static_cast<double>(options_.num_k);
  }
  StepReport report;
  report.scalars = {{"loss.task", a.task.item<double>() / 2},
                    {"loss.entropy", a.entropy.item<double>() / 2},
                    {"loss.discrepancy", b.discrepancy.item<double>()},
                    {"loss.generator", generator}};
  report.apply_update = false;  // the three updates are done
  return report;
}

Metrics Mcd::evaluate(const EvalContext& ctx) {
  return evaluate_classifier(ctx, [this](const torch::Tensor& x) {
    const auto features = features_of(x);
    const auto mean_probability =
        (torch::softmax(label_head_->forward(features), 1) + torch::softmax(second_head_->forward(features), 1)) / 2;
    return with_unknown_column(mean_probability.log(), common_.unknown_below);
  });
}

GRAFT_REGISTER_METHOD(Mcd, "mcd", "maximum classifier discrepancy: two classifiers vs. the features (Saito et al., CVPR 2018)");

}  // namespace graft
