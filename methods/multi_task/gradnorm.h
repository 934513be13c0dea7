#pragma once
// GradNorm (Chen et al., ICML 2018). Learned task weights w_i are moved so that
// the weighted gradient norms on the last shared layer W,
//   G_i = || d(w_i L_i) / dW ||,
// approach mean(G) * r_i^alpha, with r_i the task's inverse training rate
// L_i(t)/L_i(0) relative to the mean over tasks (eq. 1-2, alpha = 1.5). The
// weights descend L_grad = sum_i |G_i - target_i| / mean(G) (target and mean
// held constant; the division, ours, makes the step independent of the
// gradients' scale) and are renormalised to sum to K after each step; the
// network descends sum_i w_i L_i.

#include "methods/multi_task/multi_task.h"

namespace graft {

struct GradNormOptions : MultiTaskOptions {
  double alpha = 1.5;
  double lr_factor = 1.0;
  static void declare(OptionSet<GradNormOptions>& o) {
    declare_multi_task_options(o);
    o.add("alpha", &GradNormOptions::alpha, "asymmetry alpha (paper: 1.5)").min(0.0);
    o.add("lr_factor", &GradNormOptions::lr_factor, "learning-rate factor of the task weights").above(0.0);
  }
};

class GradNorm : public MultiTask {
 public:
  using Options = GradNormOptions;
  explicit GradNorm(Options options) : MultiTask(options, "gradnorm"), options_(options) {}
  void after_update(StepContext& ctx) override;
  const torch::Tensor& weights() const { return weights_; }

 protected:
  void setup_extra(const SetupContext&) override;
  std::vector<ParameterGroup> extra_groups() override { return {{"task_weights", {weights_}, options_.lr_factor}}; }
  Metrics combine(const std::vector<torch::Tensor>& losses, const torch::Tensor&, StepContext& ctx) override;

 private:
  Options options_;
  torch::Tensor weights_;
  torch::Tensor initial_losses_;  ///< L_i(0), a buffer (saved in checkpoints)
};

}  // namespace graft
