#include "methods/domain_adaptation/adaptation.h"

#include <cmath>

#include <fmt/format.h>

#include "core/error.h"

namespace graft {

std::vector<StreamRequest> DomainAdaptation::streams() const {
  return {{"source", common_.source, "train", true}, {"target", common_.target, "train", false}};
}

void DomainAdaptation::setup(const SetupContext& ctx) {
  const DataSet& source = ctx.domain(common_.source);
  const DataSet& target = ctx.domain(common_.target);
  GRAFT_CHECK(source.input_shape == target.input_shape, fmt::format("method '{}'", method_name_),
              "source '{}' [{}] and target '{}' [{}] differ in shape; set `channels` or `size` on one of them",
              source.name, fmt::join(source.input_shape, "x"), target.name, fmt::join(target.input_shape, "x"));
  backbone_ = register_module("backbone", ctx.make_backbone(source.input_shape));
  std::int64_t features = backbone_->feature_dim();
  if (common_.bottleneck > 0) {
    bottleneck_ = register_module("bottleneck", make_bottleneck(features, common_.bottleneck));
    features = common_.bottleneck;
  }
  label_head_ = register_module("label_head",
                                make_mlp_head(features, common_.head_hidden, label_head_outputs(source.num_classes)));
  setup_extra(ctx, features, source.num_classes);
}

std::vector<ParameterGroup> DomainAdaptation::parameter_groups() {
  std::vector<ParameterGroup> groups{{"backbone", backbone_->parameters(), common_.backbone_lr}};
  if (bottleneck_) groups.push_back({"bottleneck", bottleneck_->parameters(), 1.0});
  groups.push_back({"label_head", label_head_->parameters(), 1.0});
  for (auto& g : extra_groups()) groups.push_back(std::move(g));
  return groups;
}

DomainAdaptation::Forward DomainAdaptation::forward_both(const StepContext& ctx) {
  const Batch& source = ctx.batch("source");
  const Batch& target = ctx.batch("target");
  Forward f;
  f.source_rows = source.size();
  f.features = features_of(torch::cat({source.inputs, target.inputs}));
  f.logits = label_head_->forward(f.features);
  return f;
}

torch::Tensor DomainAdaptation::task_loss(const Forward& forward, const StepContext& ctx) const {
  return torch::nn::functional::cross_entropy(forward.source_logits(), ctx.batch("source").target("label"));
}

torch::Tensor with_unknown_column(const torch::Tensor& logits, double threshold) {
  GRAFT_CHECK(logits.dim() == 2 && threshold >= 0.0 && threshold <= 1.0, "unknown_below",
              "needs [n, K] logits and a threshold in [0, 1], got [{}] and {}", fmt::join(logits.sizes().vec(), "x"),
              threshold);
  if (threshold == 0.0) return logits;
  return torch::cat({logits, logits.logsumexp(1, /*keepdim=*/true) + std::log(threshold)}, 1);
}

Metrics DomainAdaptation::evaluate(const EvalContext& ctx) {
  return evaluate_classifier(ctx, [this](const torch::Tensor& x) {
    return with_unknown_column(label_head_->forward(features_of(x)), common_.unknown_below);
  });
}

torch::Tensor DomainAdaptation::features_of(const torch::Tensor& inputs) {
  const auto features = backbone_->forward(inputs);
  return bottleneck_ ? bottleneck_->forward(features) : features;
}

}  // namespace graft
