#pragma once
// Single-task learning: the shared architecture trained on one task only. The
// baseline that Delta_m compares every multi-task method against.

#include "methods/multi_task/multi_task.h"

namespace graft {

struct SingleTaskOptions : MultiTaskOptions {
  std::string task;
  static void declare(OptionSet<SingleTaskOptions>& o) {
    declare_multi_task_options(o);
    o.add("task", &SingleTaskOptions::task, "the one task trained (a key of `tasks:`)");
  }
};

class SingleTask : public MultiTask {
 public:
  using Options = SingleTaskOptions;
  explicit SingleTask(Options options) : MultiTask(options, "single_task"), task_(options.task) {}

 protected:
  void setup_extra(const SetupContext&) override;
  Metrics combine(const std::vector<torch::Tensor>& losses, const torch::Tensor&, StepContext&) override;

 private:
  std::string task_;
  std::size_t index_ = 0;
};

}  // namespace graft
