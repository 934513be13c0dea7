#pragma once
// Uncertainty weighting (Kendall, Gal & Cipolla, CVPR 2018): each task has a
// learned log-variance s_i = log sigma_i^2 and the objective is
//   L = sum_i exp(-s_i) L_i / 2 + s_i / 2          (eq. 7, with s = log sigma^2)
// so noisier tasks are down-weighted; s_i starts at 0.

#include "methods/multi_task/multi_task.h"

namespace graft {

struct UncertaintyWeightingOptions : MultiTaskOptions {
  double lr_factor = 1.0;
  static void declare(OptionSet<UncertaintyWeightingOptions>& o) {
    declare_multi_task_options(o);
    o.add("lr_factor", &UncertaintyWeightingOptions::lr_factor, "learning-rate factor of the log-variances").above(0.0);
  }
};

/// sum_i exp(-s_i) L_i / 2 + s_i / 2.
torch::Tensor uncertainty_weighted_loss(const std::vector<torch::Tensor>& losses, const torch::Tensor& log_variances);

class UncertaintyWeighting : public MultiTask {
 public:
  using Options = UncertaintyWeightingOptions;
  explicit UncertaintyWeighting(Options options) : MultiTask(options, "uncertainty"), options_(options) {}

 protected:
  void setup_extra(const SetupContext&) override;
  std::vector<ParameterGroup> extra_groups() override { return {{"log_variances", {log_variances_}, options_.lr_factor}}; }
  Metrics combine(const std::vector<torch::Tensor>& losses, const torch::Tensor&, StepContext&) override;

 private:
  Options options_;
  torch::Tensor log_variances_;
};

}  // namespace graft
