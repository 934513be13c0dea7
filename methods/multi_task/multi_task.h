#pragma once
// Hard parameter sharing: one encoder (the experiment's `model:`) and one head
// per task of the experiment's `tasks:`. Each weighting or gradient-combination
// method derives from MultiTask and implements only combine(): given every
// task's loss, it writes the gradients the optimizer will apply.

#include <string>
#include <vector>

#include "core/options.h"
#include "core/strategy.h"

namespace graft {

struct MultiTaskOptions {
  std::string domain = "source";  ///< the `data:` entry whose targets the tasks predict
};

template <class T>
void declare_multi_task_options(OptionSet<T>& o) {
  o.add("domain", static_cast<std::string T::*>(&MultiTaskOptions::domain), "the `data:` entry the tasks are trained on");
}

class MultiTask : public Strategy {
 public:
  MultiTask(MultiTaskOptions options, std::string method_name)
      : mt_options_(std::move(options)), method_name_(std::move(method_name)) {}

  std::vector<StreamRequest> streams() const override { return {{"train", mt_options_.domain, "train", true}}; }
  void setup(const SetupContext& ctx) override;
  std::vector<ParameterGroup> parameter_groups() override;
  StepReport train_step(StepContext& ctx) final;
  Metrics evaluate(const EvalContext& ctx) override;
  torch::Tensor features(const torch::Tensor& inputs) override { return encoder_->forward(inputs); }

  const std::vector<TaskSpec>& tasks() const { return tasks_; }

 protected:
  /// Sets the gradients of every parameter from the per-task losses (the
  /// encoder's shared `features` are given for methods that work on the
  /// representation, like MGDA-UB). Returns scalars to log (task weights).
  virtual Metrics combine(const std::vector<torch::Tensor>& losses, const torch::Tensor& features,
                          StepContext& ctx) = 0;
  /// Modules of the method itself (learned loss weights): their groups.
  virtual std::vector<ParameterGroup> extra_groups() { return {}; }
  virtual void setup_extra(const SetupContext& /*ctx*/) {}

  // ---- helpers for combine() ----
  std::vector<torch::Tensor> shared_parameters() const { return encoder_->parameters(); }
  std::vector<torch::Tensor> head_parameters() const;
  /// The gradient of `loss` on the shared parameters, flattened (zeros where unused).
  torch::Tensor shared_gradient(const torch::Tensor& loss, bool retain_graph = true) const;
  /// Writes a flattened gradient into the shared parameters' .grad.
  void set_shared_gradient(const torch::Tensor& flat) const;
  /// Backpropagates sum_i weights[i] * losses[i] into the heads only.
  void backward_heads(const std::vector<torch::Tensor>& losses, const std::vector<double>& weights) const;
  /// Backpropagates sum_i weights[i] * losses[i] into every parameter.
  static void backward_weighted(const std::vector<torch::Tensor>& losses, const std::vector<double>& weights);

  MultiTaskOptions mt_options_;
  std::string method_name_;
  std::vector<TaskSpec> tasks_;
  std::shared_ptr<Backbone> encoder_;
  std::vector<torch::nn::Sequential> heads_;
};

}  // namespace graft
