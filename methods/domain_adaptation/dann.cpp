#include "methods/domain_adaptation/dann.h"

#include "core/registries.h"
#include "methods/domain_adaptation/gradient_reversal.h"

namespace graft {

std::vector<StreamRequest> Dann::streams() const {
  return {{"source", options_.source, "train", true}, {"target", options_.target, "train", false}};
}

void Dann::setup(const SetupContext& ctx) {
  const DataSet& source = ctx.domain(options_.source);
  const DataSet& target = ctx.domain(options_.target);
  GRAFT_CHECK(source.input_shape == target.input_shape, "method 'dann'",
              "source '{}' and target '{}' have different input shapes; resize one of them", source.name,
              target.name);
  backbone_ = register_module("backbone", ctx.make_backbone(source.input_shape));
  label_head_ =
      register_module("label_head", make_mlp_head(backbone_->feature_dim(), options_.head_hidden, source.num_classes));
  domain_head_ = register_module("domain_head", make_mlp_head(backbone_->feature_dim(), options_.domain_hidden, 1));
}

std::vector<ParameterGroup> Dann::parameter_groups() {
  return {{"backbone", backbone_->parameters(), 1.0},
          {"label_head", label_head_->parameters(), 1.0},
          {"domain_head", domain_head_->parameters(), 1.0}};
}

double Dann::lambda_at(double progress) const {
  if (options_.lambda_schedule == "constant") return options_.lambda_max;
  return dann_lambda(progress, options_.gamma, options_.lambda_max);
}

StepReport Dann::train_step(StepContext& ctx) {
  const Batch& source = ctx.batch("source");
  const Batch& target = ctx.batch("target");
  const double lambda = lambda_at(ctx.progress());

  // One forward pass over the concatenated batch keeps batch-norm statistics
  // (when a backbone has them) shared between the domains, as in the paper.
  const auto features = backbone_->forward(torch::cat({source.inputs, target.inputs}));
  const auto source_features = features.slice(0, 0, source.size());
  const auto task_loss = torch::nn::functional::cross_entropy(label_head_->forward(source_features),
                                                              source.target("label"));

  const auto domain_logits = domain_head_->forward(gradient_reversal(features, lambda)).squeeze(1);
  const auto domain_labels = torch::cat({torch::zeros({source.size()}, features.options()),
                                         torch::ones({target.size()}, features.options())});
  const auto domain_loss =
      torch::nn::functional::binary_cross_entropy_with_logits(domain_logits, domain_labels);

  (task_loss + options_.domain_weight * domain_loss).backward();
  const double domain_accuracy = (domain_logits.detach() > 0).eq(domain_labels > 0.5).to(torch::kFloat64).mean().item<double>();
  return {{{"loss.task", task_loss.item<double>()},
           {"loss.domain", domain_loss.item<double>()},
           {"lambda", lambda},
           {"domain_acc", domain_accuracy}}};
}

Metrics Dann::evaluate(const EvalContext& ctx) {
  return evaluate_classifier(ctx, [this](const torch::Tensor& x) { return label_head_->forward(backbone_->forward(x)); });
}

GRAFT_REGISTER_METHOD(Dann, "dann", "domain-adversarial training with gradient reversal (Ganin et al., JMLR 2016)");

}  // namespace graft
