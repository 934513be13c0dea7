#include "methods/fine_tuning/fine_tuning.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/error.h"

namespace graft {

torch::Tensor l2_sp_penalty(const std::vector<torch::Tensor>& backbone, const std::vector<torch::Tensor>& start,
                            const std::vector<torch::Tensor>& head, double alpha, double beta) {
  auto total = torch::zeros({}, backbone.empty() ? head.at(0).options() : backbone[0].options());
  for (std::size_t i = 0; i < backbone.size(); ++i) total = total + 0.5 * alpha * (backbone[i] - start[i]).pow(2).sum();
  for (const auto& w : head) total = total + 0.5 * beta * w.pow(2).sum();
  return total;
}

torch::Tensor bss_penalty(const torch::Tensor& features, std::int64_t k, double eta) {
  const auto singular = torch::linalg_svdvals(features);  // descending
  const std::int64_t n = singular.size(0);
  return eta * singular.slice(0, std::max<std::int64_t>(0, n - k), n).pow(2).sum();
}

bool FineTune::is_frozen(const std::string& name) const {
  if (options_.freeze_backbone) return true;
  for (const auto& prefix : options_.freeze)
    if (name.rfind(prefix, 0) == 0) return true;
  return false;
}

void FineTune::setup(const SetupContext& ctx) {
  const DataSet& data = ctx.domain(options_.domain);
  backbone_ = register_module("backbone", ctx.make_backbone(data.input_shape));
  head_ = register_module("head", make_mlp_head(backbone_->feature_dim(), options_.head_hidden, data.num_classes));
  std::vector<std::string> names;
  bool matched_all = true;
  for (const auto& prefix : options_.freeze) {
    bool matched = false;
    for (const auto& p : backbone_->named_parameters()) matched = matched || p.key().rfind(prefix, 0) == 0;
    matched_all = matched_all && matched;
  }
  if (!matched_all) {
    for (const auto& p : backbone_->named_parameters()) names.push_back(p.key());
    throw Error(fmt::format("method '{}': a `freeze` prefix matches no backbone parameter; parameters: {}", name_,
                            fmt::join(names, ", ")));
  }
  for (auto& p : backbone_->named_parameters()) {
    if (is_frozen(p.key())) p.value().set_requires_grad(false);
    const auto dot = p.key().rfind('.');
    const std::string layer = dot == std::string::npos ? p.key() : p.key().substr(0, dot);
    if (layers_.empty() || layers_.back() != layer) layers_.push_back(layer);
  }
  if (options_.regularizer == "l2_sp") {
    int i = 0;
    for (const auto& p : backbone_->parameters())
      start_weights_.push_back(register_buffer(fmt::format("l2sp_start_{}", i++), p.detach().clone()));
  }
}

std::vector<ParameterGroup> FineTune::parameter_groups() {
  std::vector<torch::Tensor> trainable;
  for (const auto& p : backbone_->named_parameters())
    if (!is_frozen(p.key())) trainable.push_back(p.value());
  std::vector<ParameterGroup> groups{{"head", head_->parameters(), 1.0}};
  if (!trainable.empty()) groups.push_back({"backbone", trainable, options_.backbone_lr_factor});
  return groups;
}

std::int64_t FineTune::layers_trainable(std::int64_t step, std::int64_t total) const {
  const auto all = static_cast<std::int64_t>(layers_.size());
  // LP-FT: the first part of training trains the head only.
  if (step < static_cast<std::int64_t>(options_.probe_fraction * static_cast<double>(total))) return 0;
  if (options_.unfreeze_fraction <= 0.0) return all;
  // Gradual unfreezing: all + 1 stages (head only, then one layer more each)
  // spread evenly over unfreeze_fraction of the steps.
  const double span = options_.unfreeze_fraction * static_cast<double>(total);
  const auto stage = static_cast<std::int64_t>(static_cast<double>(step) / span * static_cast<double>(all + 1));
  return std::min(all, stage);
}

void FineTune::set_backbone_trainable(std::int64_t top_layers) {
  const auto first_trainable = static_cast<std::int64_t>(layers_.size()) - top_layers;
  for (auto& p : backbone_->named_parameters()) {
    const auto dot = p.key().rfind('.');
    const std::string layer = dot == std::string::npos ? p.key() : p.key().substr(0, dot);
    const auto index = std::find(layers_.begin(), layers_.end(), layer) - layers_.begin();
    if (!is_frozen(p.key())) p.value().set_requires_grad(index >= first_trainable);
  }
}

StepReport FineTune::train_step(StepContext& ctx) {
  // LP-FT and gradual unfreezing: layers not yet trained get no gradient (an
  // optimizer skips parameters without one, momentum included).
  const std::int64_t trainable = layers_trainable(ctx.step, ctx.total_steps);
  if (trainable != trainable_layers_) {
    set_backbone_trainable(trainable);
    trainable_layers_ = trainable;
  }

  const Batch& batch = ctx.batch("train");
  const auto features = backbone_->forward(batch.inputs);
  const auto task = torch::nn::functional::cross_entropy(head_->forward(features), batch.target("label"));
  auto total = task;
  StepReport report{{{"loss.task", task.item<double>()}, {"trainable_layers", static_cast<double>(trainable)}}};
  if (options_.regularizer == "l2_sp") {
    const auto penalty = l2_sp_penalty(backbone_->parameters(), start_weights_, head_->parameters(), options_.alpha,
                                       options_.beta);
    total = total + penalty;
    report.scalars["loss.l2_sp"] = penalty.item<double>();
  } else if (options_.regularizer == "bss") {
    const auto penalty = bss_penalty(features, options_.k, options_.eta);
    total = total + penalty;
    report.scalars["loss.bss"] = penalty.item<double>();
  }
  total.backward();
  return report;
}

Metrics FineTune::evaluate(const EvalContext& ctx) {
  return evaluate_classifier(ctx, [this](const torch::Tensor& x) { return head_->forward(backbone_->forward(x)); });
}

}  // namespace graft
