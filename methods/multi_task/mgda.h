#pragma once
// MGDA-UB (Sener & Koltun, NeurIPS 2018): the task weights are the min-norm
// point in the convex hull of the task gradients (Frank-Wolfe, alg. 2), taken
// with respect to the shared representation Z instead of the shared
// parameters (the upper bound of sec. 3.3), then sum_i alpha_i L_i is minimised.

#include "methods/multi_task/multi_task.h"

namespace graft {

/// alpha on the simplex minimising || sum_i alpha_i g_i ||^2 for the rows of
/// `gradients` [K, D]: the closed form for K = 2, Frank-Wolfe otherwise.
torch::Tensor min_norm_weights(const torch::Tensor& gradients, int iterations = 250);

struct MgdaOptions : MultiTaskOptions {
  std::string normalization = "none";
  static void declare(OptionSet<MgdaOptions>& o) {
    declare_multi_task_options(o);
    o.add("normalization", &MgdaOptions::normalization,
          "scale of each task gradient before the min-norm solve: none, l2 (unit norm), loss (divide by the loss)")
        .choices({"none", "l2", "loss"});
  }
};

class Mgda : public MultiTask {
 public:
  using Options = MgdaOptions;
  explicit Mgda(Options options) : MultiTask(options, "mgda"), options_(options) {}

 protected:
  Metrics combine(const std::vector<torch::Tensor>& losses, const torch::Tensor& features, StepContext& ctx) override;

 private:
  Options options_;
};

}  // namespace graft
