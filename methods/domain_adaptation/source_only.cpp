#include "methods/domain_adaptation/source_only.h"

#include "core/registries.h"

namespace graft {

std::vector<StreamRequest> SourceOnly::streams() const { return {{"train", options_.domain, "train", true}}; }

void SourceOnly::setup(const SetupContext& ctx) {
  const DataSet& data = ctx.domain(options_.domain);
  backbone_ = register_module("backbone", ctx.make_backbone(data.input_shape));
  std::int64_t features = backbone_->feature_dim();
  if (options_.bottleneck > 0) {
    bottleneck_ = register_module("bottleneck", make_bottleneck(features, options_.bottleneck));
    features = options_.bottleneck;
  }
  head_ = register_module("head", make_mlp_head(features, options_.head_hidden, data.num_classes));
}

std::vector<ParameterGroup> SourceOnly::parameter_groups() {
  std::vector<ParameterGroup> groups{{"backbone", backbone_->parameters(), options_.backbone_lr}};
  if (bottleneck_) groups.push_back({"bottleneck", bottleneck_->parameters(), 1.0});
  groups.push_back({"head", head_->parameters(), 1.0});
  return groups;
}

torch::Tensor SourceOnly::features(const torch::Tensor& inputs) {
  const auto features = backbone_->forward(inputs);
  return bottleneck_ ? bottleneck_->forward(features) : features;
}

StepReport SourceOnly::train_step(StepContext& ctx) {
  const Batch& batch = ctx.batch("train");
  const auto loss = torch::nn::functional::cross_entropy(head_->forward(features(batch.inputs)),
                                                         batch.target("label"));
  loss.backward();
  return {{{"loss.task", loss.item<double>()}}};
}

Metrics SourceOnly::evaluate(const EvalContext& ctx) {
  return evaluate_classifier(
      ctx, [this](const torch::Tensor& x) { return with_unknown_column(head_->forward(features(x)), options_.unknown_below); });
}

GRAFT_REGISTER_METHOD(SourceOnly, "source_only", "supervised training on the labelled source domain only (baseline)");

}  // namespace graft
