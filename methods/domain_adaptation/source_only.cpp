#include "methods/domain_adaptation/source_only.h"

#include "core/registries.h"

namespace graft {

std::vector<StreamRequest> SourceOnly::streams() const { return {{"train", options_.domain, "train", true}}; }

void SourceOnly::setup(const SetupContext& ctx) {
  const DataSet& data = ctx.domain(options_.domain);
  backbone_ = register_module("backbone", ctx.make_backbone(data.input_shape));
  head_ = register_module("head", make_mlp_head(backbone_->feature_dim(), options_.head_hidden, data.num_classes));
}

std::vector<ParameterGroup> SourceOnly::parameter_groups() {
  return {{"backbone", backbone_->parameters(), 1.0}, {"head", head_->parameters(), 1.0}};
}

StepReport SourceOnly::train_step(StepContext& ctx) {
  const Batch& batch = ctx.batch("train");
  const auto loss = torch::nn::functional::cross_entropy(head_->forward(backbone_->forward(batch.inputs)),
                                                         batch.target("label"));
  loss.backward();
  return {{{"loss.task", loss.item<double>()}}};
}

Metrics SourceOnly::evaluate(const EvalContext& ctx) {
  return evaluate_classifier(ctx, [this](const torch::Tensor& x) { return head_->forward(backbone_->forward(x)); });
}

GRAFT_REGISTER_METHOD(SourceOnly, "source_only", "supervised training on the labelled source domain only (baseline)");

}  // namespace graft
