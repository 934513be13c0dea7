#pragma once
// Equal weighting: minimise the plain sum of the task losses. The baseline of
// every multi-task comparison.

#include "methods/multi_task/multi_task.h"

namespace graft {

struct EqualWeightingOptions : MultiTaskOptions {
  static void declare(OptionSet<EqualWeightingOptions>& o) { declare_multi_task_options(o); }
};

class EqualWeighting : public MultiTask {
 public:
  using Options = EqualWeightingOptions;
  explicit EqualWeighting(Options options) : MultiTask(options, "equal") {}

 protected:
  Metrics combine(const std::vector<torch::Tensor>& losses, const torch::Tensor&, StepContext&) override {
    backward_weighted(losses, std::vector<double>(losses.size(), 1.0));
    return {};
  }
};

}  // namespace graft
