#include "methods/multi_task/single_task.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/registries.h"

namespace graft {

void SingleTask::setup_extra(const SetupContext&) {
  std::vector<std::string> names;
  for (std::size_t k = 0; k < tasks_.size(); ++k) {
    names.push_back(tasks_[k].name);
    if (tasks_[k].name == task_) {
      index_ = k;
      return;
    }
  }
  throw Error(fmt::format("method 'single_task': task '{}' is not under `tasks:`; {}", task_, choices_hint(task_, names)));
}

Metrics SingleTask::combine(const std::vector<torch::Tensor>& losses, const torch::Tensor&, StepContext&) {
  losses[index_].backward();
  return {};
}

GRAFT_REGISTER_METHOD(SingleTask, "single_task", "multi-task baseline: train one task only (for Delta_m)");

}  // namespace graft
