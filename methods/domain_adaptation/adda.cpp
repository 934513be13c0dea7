#include "methods/domain_adaptation/adda.h"

#include <cmath>

#include <fmt/format.h>

#include "core/error.h"
#include "core/model.h"
#include "core/registries.h"

namespace graft {

namespace F = torch::nn::functional;

torch::Tensor adda_discriminator_loss(const torch::Tensor& source_logits, const torch::Tensor& target_logits) {
  GRAFT_CHECK(source_logits.dim() == 2 && source_logits.size(1) == 1 && target_logits.dim() == 2 &&
                  target_logits.size(1) == 1,
              "adda", "discriminator logits must be [batch, 1], got [{}] and [{}]", fmt::join(source_logits.sizes(), ", "),
              fmt::join(target_logits.sizes(), ", "));
  // Each expectation of eq. 9 is a mean over its own domain's batch.
  return F::binary_cross_entropy_with_logits(source_logits, torch::ones_like(source_logits)) +
         F::binary_cross_entropy_with_logits(target_logits, torch::zeros_like(target_logits));
}

torch::Tensor adda_encoder_loss(const torch::Tensor& target_logits) {
  GRAFT_CHECK(target_logits.dim() == 2 && target_logits.size(1) == 1, "adda",
              "discriminator logits must be [batch, 1], got [{}]", fmt::join(target_logits.sizes(), ", "));
  return F::binary_cross_entropy_with_logits(target_logits, torch::ones_like(target_logits));
}

std::int64_t Adda::adaptation_start(std::int64_t total_steps) const {
  return static_cast<std::int64_t>(std::floor(options_.pretrain * static_cast<double>(total_steps)));
}

void Adda::setup_extra(const SetupContext& ctx, std::int64_t feature_dim, std::int64_t /*classes*/) {
  total_steps_ = ctx.total_steps;
  target_backbone_ = register_module("target_backbone", ctx.make_backbone(ctx.domain(common_.source).input_shape));
  if (common_.bottleneck > 0)
    target_bottleneck_ =
        register_module("target_bottleneck", make_bottleneck(target_backbone_->feature_dim(), common_.bottleneck));
  discriminator_ = register_module("discriminator", make_mlp_head(feature_dim, options_.domain_hidden, 1));
}

std::vector<ParameterGroup> Adda::extra_groups() {
  std::vector<ParameterGroup> groups{{"target_backbone", target_backbone_->parameters(), common_.backbone_lr}};
  if (target_bottleneck_) groups.push_back({"target_bottleneck", target_bottleneck_->parameters(), 1.0});
  groups.push_back({"discriminator", discriminator_->parameters(), 1.0});
  return groups;
}

torch::Tensor Adda::target_features_of(const torch::Tensor& inputs) {
  const auto features = target_backbone_->forward(inputs);
  return target_bottleneck_ ? target_bottleneck_->forward(features) : features;
}

void Adda::copy_source_encoder() {
  torch::NoGradGuard no_grad;
  auto copy = [](torch::nn::Module& from, torch::nn::Module& to) {
    const auto sources = from.named_parameters(), targets = to.named_parameters();
    for (const auto& item : sources) targets[item.key()].copy_(item.value());
    const auto source_buffers = from.named_buffers(), target_buffers = to.named_buffers();
    for (const auto& item : source_buffers) target_buffers[item.key()].copy_(item.value());
  };
  copy(*backbone_, *target_backbone_);
  if (bottleneck_) copy(*bottleneck_, *target_bottleneck_);
}

StepReport Adda::train_step(StepContext& ctx) {
  const std::int64_t start = adaptation_start(ctx.total_steps);
  const Batch& source = ctx.batch("source");
  if (ctx.step < start) {
    const auto task = F::cross_entropy(label_head_->forward(features_of(source.inputs)), source.target("label"));
    task.backward();  // Mt and D have no gradient: the update leaves them as they are
    return {{{"loss.task", task.item<double>()}}};
  }
  // A resumed run past this step has Mt from its checkpoint.
  if (ctx.step == start) copy_source_encoder();
  backbone_->eval();
  if (bottleneck_) bottleneck_->eval();

  const Batch& target = ctx.batch("target");
  torch::Tensor source_features;
  {
    torch::NoGradGuard fixed;  // Ms is fixed in adaptation
    source_features = features_of(source.inputs);
  }
  const auto discriminator_loss =
      adda_discriminator_loss(discriminator_->forward(source_features),
                              discriminator_->forward(target_features_of(target.inputs).detach()));
  discriminator_loss.backward();
  ctx.update({"discriminator"});

  const auto encoder_loss = adda_encoder_loss(discriminator_->forward(target_features_of(target.inputs)));
  encoder_loss.backward();
  std::vector<std::string> target_groups{"target_backbone"};
  if (target_bottleneck_) target_groups.push_back("target_bottleneck");
  ctx.update(target_groups);

  StepReport report;
  report.scalars = {{"loss.discriminator", discriminator_loss.item<double>()},
                    {"loss.encoder", encoder_loss.item<double>()}};
  report.apply_update = false;  // both updates are done
  return report;
}

Metrics Adda::evaluate(const EvalContext& ctx) {
  const bool adapted = ctx.step >= adaptation_start(total_steps_);
  EvalContext source = ctx, others = ctx;
  source.domains.clear();
  others.domains.erase(common_.source);
  source.domains[common_.source] = ctx.domains.at(common_.source);
  Metrics metrics = evaluate_classifier(source, [this](const torch::Tensor& x) {
    return with_unknown_column(label_head_->forward(features_of(x)), common_.unknown_below);
  });
  const Metrics deployed = evaluate_classifier(others, [&](const torch::Tensor& x) {
    return with_unknown_column(label_head_->forward(adapted ? target_features_of(x) : features_of(x)),
                               common_.unknown_below);
  });
  metrics.insert(deployed.begin(), deployed.end());
  return metrics;
}

GRAFT_REGISTER_METHOD(Adda, "adda",
                      "adversarial discriminative DA: a target encoder vs. a discriminator, inverted labels (Tzeng et al., CVPR 2017)");

}  // namespace graft
