#pragma once
// PCGrad, projecting conflicting gradients (Yu et al., NeurIPS 2020, alg. 1):
// for each task gradient g_i and every other task j in random order, if
// g_i . g_j < 0, g_i <- g_i - (g_i . g_j) / ||g_j||^2 g_j (with the original
// g_j); the shared parameters receive the sum of the projected gradients,
// each head its own task's gradient.

#include "methods/multi_task/multi_task.h"

namespace graft {

/// Projects the rows of `gradients` [K, P]; `order[i]` is the order in which
/// task i visits the others. Returns the sum of the projected rows.
torch::Tensor pcgrad_combine(const torch::Tensor& gradients, const std::vector<std::vector<std::int64_t>>& order);

struct PcGradOptions : MultiTaskOptions {
  static void declare(OptionSet<PcGradOptions>& o) { declare_multi_task_options(o); }
};

class PcGrad : public MultiTask {
 public:
  using Options = PcGradOptions;
  explicit PcGrad(Options options) : MultiTask(options, "pcgrad") {}

 protected:
  Metrics combine(const std::vector<torch::Tensor>& losses, const torch::Tensor&, StepContext& ctx) override;
};

}  // namespace graft
