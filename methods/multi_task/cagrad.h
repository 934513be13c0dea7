#pragma once
// CAGrad, conflict-averse gradient descent (Liu et al., NeurIPS 2021, alg. 1):
// with g_0 the average task gradient, find w on the simplex minimising
//   g_w . g_0 + c ||g_0|| ||g_w||,   g_w = sum_i w_i g_i,
// and update along d = g_0 + (c ||g_0|| / ||g_w||) g_w, rescaled by 1/(1 + c^2)
// as in the authors' code. c = 0.5; c = 0 is plain gradient descent on the mean.

#include "methods/multi_task/multi_task.h"

namespace graft {

/// The CAGrad direction for the rows of `gradients` [K, P].
torch::Tensor cagrad_direction(const torch::Tensor& gradients, double c, int iterations = 100);

struct CaGradOptions : MultiTaskOptions {
  double c = 0.5;
  static void declare(OptionSet<CaGradOptions>& o) {
    declare_multi_task_options(o);
    o.add("c", &CaGradOptions::c, "radius of the conflict-averse ball around the mean gradient (paper: 0.5)").min(0.0);
  }
};

class CaGrad : public MultiTask {
 public:
  using Options = CaGradOptions;
  explicit CaGrad(Options options) : MultiTask(options, "cagrad"), options_(options) {}

 protected:
  Metrics combine(const std::vector<torch::Tensor>& losses, const torch::Tensor&, StepContext& ctx) override;

 private:
  Options options_;
};

}  // namespace graft
