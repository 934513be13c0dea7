#include "methods/multi_task/multi_task.h"

#include <fmt/format.h>

#include "core/error.h"

namespace graft {

void MultiTask::setup(const SetupContext& ctx) {
  tasks_ = ctx.tasks;
  const std::string who = fmt::format("method '{}'", method_name_);
  GRAFT_CHECK(!tasks_.empty(), who,
              "a multi-task method needs `tasks:` in the experiment, e.g. tasks: {{left: {{}}, right: {{}}}}");
  const DataSet& data = ctx.domain(mt_options_.domain);
  const Split& train = data.split("train");
  encoder_ = register_module("encoder", ctx.make_backbone(data.input_shape));
  for (const auto& task : tasks_) {
    auto it = train.targets.find(task.target);
    if (it == train.targets.end())
      throw Error(fmt::format("{}: task '{}' predicts target '{}', which data set '{}' does not have; {}", who,
                              task.name, task.target, data.name, choices_hint(task.target, keys_of(train.targets))));
    const std::int64_t outputs = task.loss == "mse" ? 1 : it->second.max().item<std::int64_t>() + 1;
    heads_.push_back(register_module("head_" + task.name,
                                     make_mlp_head(encoder_->feature_dim(), task.head_hidden, outputs)));
  }
  setup_extra(ctx);
}

std::vector<torch::Tensor> MultiTask::head_parameters() const {
  std::vector<torch::Tensor> out;
  for (const auto& head : heads_)
    for (const auto& p : head->parameters()) out.push_back(p);
  return out;
}

std::vector<ParameterGroup> MultiTask::parameter_groups() {
  std::vector<ParameterGroup> groups{{"encoder", encoder_->parameters(), 1.0}, {"heads", head_parameters(), 1.0}};
  for (auto& g : extra_groups()) groups.push_back(std::move(g));
  return groups;
}

namespace {
torch::Tensor task_loss(const TaskSpec& task, const torch::Tensor& output, const torch::Tensor& target) {
  if (task.loss == "mse") return torch::mse_loss(output.squeeze(1), target.to(output.dtype()));
  return torch::nn::functional::cross_entropy(output, target);
}
}  // namespace

StepReport MultiTask::train_step(StepContext& ctx) {
  const Batch& batch = ctx.batch("train");
  const auto features = encoder_->forward(batch.inputs);
  std::vector<torch::Tensor> losses;
  StepReport report;
  for (std::size_t k = 0; k < tasks_.size(); ++k) {
    losses.push_back(task_loss(tasks_[k], heads_[k]->forward(features), batch.target(tasks_[k].target)));
    report.scalars["loss." + tasks_[k].name] = losses.back().item<double>();
  }
  for (const auto& [name, value] : combine(losses, features, ctx)) report.scalars[name] = value;
  return report;
}

Metrics MultiTask::evaluate(const EvalContext& ctx) {
  torch::NoGradGuard no_grad;
  Metrics metrics;
  auto it = ctx.domains.find(mt_options_.domain);
  if (it == ctx.domains.end()) return metrics;
  const DataSet& data = *it->second;
  for (const char* split_name : {"val", "test"}) {
    if (!data.has_split(split_name)) continue;
    std::vector<double> score(tasks_.size(), 0.0);
    std::int64_t seen = 0;
    for_each_batch(data, split_name, ctx.batch_size, ctx.device, ctx.loader, [&](const Batch& batch) {
      const auto features = encoder_->forward(batch.inputs);
      for (std::size_t k = 0; k < tasks_.size(); ++k) {
        const auto output = heads_[k]->forward(features).cpu();
        const auto target = batch.target(tasks_[k].target).cpu();
        if (tasks_[k].loss == "mse")
          score[k] += (output.squeeze(1) - target.to(torch::kFloat32)).pow(2).sum().item<double>();
        else
          score[k] += output.argmax(1).eq(target).sum().item<double>();
      }
      seen += batch.size();
    });
    for (std::size_t k = 0; k < tasks_.size(); ++k)
      metrics[fmt::format("{}.{}_{}", tasks_[k].name, split_name, tasks_[k].loss == "mse" ? "mse" : "acc")] =
          score[k] / static_cast<double>(seen);
  }
  return metrics;
}

torch::Tensor MultiTask::shared_gradient(const torch::Tensor& loss, bool retain_graph) const {
  const auto params = shared_parameters();
  const auto grads = torch::autograd::grad({loss}, params, {}, retain_graph, false, /*allow_unused=*/true);
  std::vector<torch::Tensor> flat;
  for (std::size_t i = 0; i < params.size(); ++i)
    flat.push_back(grads[i].defined() ? grads[i].flatten() : torch::zeros({params[i].numel()}, params[i].options()));
  return torch::cat(flat);
}

void MultiTask::set_shared_gradient(const torch::Tensor& flat) const {
  std::int64_t offset = 0;
  for (auto p : shared_parameters()) {
    const auto piece = flat.slice(0, offset, offset + p.numel()).view_as(p);
    offset += p.numel();
    if (p.mutable_grad().defined())
      p.mutable_grad().copy_(piece);
    else
      p.mutable_grad() = piece.clone();
  }
}

void MultiTask::backward_heads(const std::vector<torch::Tensor>& losses, const std::vector<double>& weights) const {
  auto total = losses[0] * weights[0];
  for (std::size_t k = 1; k < losses.size(); ++k) total = total + losses[k] * weights[k];
  total.backward({}, /*retain_graph=*/true, false, head_parameters());
}

void MultiTask::backward_weighted(const std::vector<torch::Tensor>& losses, const std::vector<double>& weights) {
  auto total = losses[0] * weights[0];
  for (std::size_t k = 1; k < losses.size(); ++k) total = total + losses[k] * weights[k];
  total.backward();
}

}  // namespace graft
