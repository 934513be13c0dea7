#include "methods/domain_adaptation/pada.h"

#include <limits>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "core/loader.h"
#include "core/registries.h"

namespace graft {

namespace F = torch::nn::functional;

namespace {

/// Examples per batch of the pass over the target training set. It only
/// trades memory for speed: in eval mode each example's prediction does not
/// depend on the others.
constexpr std::int64_t kPadaPassBatch = 256;

}  // namespace

torch::Tensor pada_mean_prediction(const torch::Tensor& logits, double temperature) {
  GRAFT_CHECK(logits.dim() == 2 && logits.size(0) > 0 && logits.size(1) > 0, "pada",
              "the class weights need logits [examples, classes] of at least one example, got [{}]",
              fmt::join(logits.sizes(), ", "));
  GRAFT_CHECK(temperature > 0.0, "pada", "temperature must be positive, got {}", temperature);
  return torch::softmax(logits / temperature, 1).mean(0);
}

torch::Tensor pada_class_weights(const torch::Tensor& mean_prediction) {
  GRAFT_CHECK(mean_prediction.dim() == 1 && mean_prediction.size(0) > 0, "pada",
              "expected a mean prediction [classes], got [{}]", fmt::join(mean_prediction.sizes(), ", "));
  // A mean of probability vectors sums to 1, so its largest entry is at
  // least 1/K: never 0.
  return mean_prediction / mean_prediction.max();
}

torch::Tensor pada_classification_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                                       const torch::Tensor& class_weights) {
  GRAFT_CHECK(logits.dim() == 2 && labels.dim() == 1 && labels.size(0) == logits.size(0) && logits.size(0) > 0, "pada",
              "the classification loss expects logits [batch, classes] and labels [batch], got [{}] and [{}]",
              fmt::join(logits.sizes(), ", "), fmt::join(labels.sizes(), ", "));
  GRAFT_CHECK(class_weights.dim() == 1 && class_weights.size(0) == logits.size(1), "pada",
              "expected one class weight per class ({}), got [{}]", logits.size(1),
              fmt::join(class_weights.sizes(), ", "));
  const auto weights = class_weights.to(logits.scalar_type()).index_select(0, labels);
  const auto per_example = F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().reduction(torch::kNone));
  // The floor only matters when every weight is 0 (the numerator is 0 too):
  // the loss is then 0, not 0/0.
  return (weights * per_example).sum() / weights.sum().clamp_min(std::numeric_limits<float>::min());
}

torch::Tensor pada_target_weights(const torch::Tensor& source_weights, std::int64_t target_rows,
                                  const std::string& mode) {
  GRAFT_CHECK(source_weights.dim() == 1 && source_weights.size(0) > 0 && target_rows >= 0, "pada",
              "expected the weights of at least one source row and a row count, got [{}] and {}",
              fmt::join(source_weights.sizes(), ", "), target_rows);
  if (mode == "one") return torch::ones({target_rows}, source_weights.options());
  GRAFT_CHECK(mode == "source_mean", "pada", "target_weight '{}'; {}", mode,
              choices_hint(mode, {"source_mean", "one"}));
  return source_weights.mean().expand({target_rows}).contiguous();
}

torch::Tensor pada_domain_loss(const torch::Tensor& domain_logits, const torch::Tensor& source_weights,
                               const torch::Tensor& target_weights) {
  GRAFT_CHECK(source_weights.dim() == 1 && target_weights.dim() == 1 && domain_logits.dim() == 1 &&
                  domain_logits.size(0) == source_weights.size(0) + target_weights.size(0) && domain_logits.size(0) > 0,
              "pada",
              "the domain loss expects domain logits [source rows + target rows] and one weight per row, got [{}], "
              "[{}] and [{}]",
              fmt::join(domain_logits.sizes(), ", "), fmt::join(source_weights.sizes(), ", "),
              fmt::join(target_weights.sizes(), ", "));
  const auto options = domain_logits.options();
  const auto labels = torch::cat({torch::zeros({source_weights.size(0)}, options),
                                  torch::ones({target_weights.size(0)}, options)});
  const auto weights = torch::cat({source_weights, target_weights}).to(domain_logits.scalar_type());
  return F::binary_cross_entropy_with_logits(domain_logits, labels,
                                             F::BinaryCrossEntropyWithLogitsFuncOptions().weight(weights));
}

double pada_class_weight_entropy(const torch::Tensor& class_weights) {
  const auto q = class_weights.to(torch::kFloat64) / class_weights.to(torch::kFloat64).sum();
  return -torch::xlogy(q, q).sum().item<double>();
}

void Pada::setup_extra(const SetupContext& ctx, std::int64_t feature_dim, std::int64_t classes) {
  const DataSet& target = ctx.domain(common_.target);
  GRAFT_CHECK(target.has_split("train") && target.split("train").size() > 0, "method 'pada'",
              "target '{}' has no training examples, and PADA's class weights are the mean prediction over the whole "
              "target training set",
              target.name);
  target_data_ = ctx.domains.at(common_.target);
  class_weights_ = register_buffer("class_weights", torch::ones({classes}));
  Dann::setup_extra(ctx, feature_dim, classes);
}

void Pada::update_class_weights(const StepContext& ctx) {
  torch::NoGradGuard no_grad;
  // Eval mode, as TLlib's collect_classification_results: batch-norm running
  // statistics, no dropout, so no random number is drawn either.
  const bool training = is_training();
  eval();
  std::vector<torch::Tensor> logits;
  for_each_batch(*target_data_, "train", kPadaPassBatch, ctx.device, LoaderOptions{},
                 [&](const Batch& batch) { logits.push_back(label_head_->forward(features_of(batch.inputs))); });
  train(training);
  std::vector<torch::Tensor> mean{pada_mean_prediction(torch::cat(logits), options_.temperature)};
  if (ctx.reduce) ctx.reduce(mean);
  class_weights_.copy_(pada_class_weights(mean[0]));
}

StepReport Pada::weighted_step(StepContext& ctx) {
  const double lambda = lambda_at(ctx.progress());
  const Forward f = forward_both(ctx);
  const torch::Tensor& labels = ctx.batch("source").target("label");
  const auto task = pada_classification_loss(f.source_logits(), labels, class_weights_);
  const auto source_weights = class_weights_.index_select(0, labels);
  const auto target_weights =
      pada_target_weights(source_weights, f.features.size(0) - f.source_rows, options_.target_weight);
  const auto domain_logits = domain_logits_of(f.features, lambda);
  const auto domain = pada_domain_loss(domain_logits, source_weights, target_weights);
  (task + domain).backward();
  // Unweighted, as DANN's: how well the adversary tells the domains apart.
  const auto is_target = torch::arange(domain_logits.size(0), labels.options()) >= f.source_rows;
  const double domain_accuracy = (domain_logits.detach() > 0).eq(is_target).to(torch::kFloat64).mean().item<double>();
  StepReport report;
  report.scalars["loss.task"] = task.item<double>();
  report.scalars["loss.domain"] = domain.item<double>();
  report.scalars["lambda"] = lambda;
  report.scalars["domain_acc"] = domain_accuracy;
  return report;
}

StepReport Pada::train_step(StepContext& ctx) {
  if (ctx.step > 0 && ctx.step % options_.update_steps == 0) update_class_weights(ctx);
  StepReport report = ctx.step < options_.update_steps ? Dann::train_step(ctx) : weighted_step(ctx);
  report.scalars["class_weight.min"] = class_weights_.min().item<double>();
  report.scalars["class_weight.mean"] = class_weights_.mean().item<double>();
  report.scalars["class_weight.entropy"] = pada_class_weight_entropy(class_weights_);
  return report;
}

GRAFT_REGISTER_METHOD(Pada, "pada",
                      "DANN for partial DA: source classes weighted by the mean target prediction in the classifier "
                      "and the adversary (Cao et al., ECCV 2018)");

}  // namespace graft
