#include "core/tasks.h"

namespace graft {

void TaskSpec::declare(OptionSet<TaskSpec>& o) {
  o.add("target", &TaskSpec::target, "the data set's target this task predicts (default: the task's name)");
  o.add("loss", &TaskSpec::loss, "cross_entropy (classification, metric acc) or mse (regression, metric mse)")
      .choices({"cross_entropy", "mse"});
  o.add("head_hidden", &TaskSpec::head_hidden, "hidden widths of the task's head (empty: linear)").min(1);
}

std::vector<TaskSpec> parse_tasks(const ConfigNode& node, const std::string& path) {
  std::vector<TaskSpec> tasks;
  if (node.is_null()) return tasks;
  if (!node.is_map())
    config_fail(node, path, "expected a map of task name -> {target, loss, head_hidden}, e.g. tasks: {left: {}, right: {}}");
  for (const auto& entry : node.entries()) {
    TaskSpec task = options_of<TaskSpec>().parse(entry.value, path + "." + entry.key, "a task", {});
    task.name = entry.key;
    if (task.target.empty()) task.target = entry.key;
    tasks.push_back(std::move(task));
  }
  return tasks;
}

ConfigNode dump_tasks(const std::vector<TaskSpec>& tasks) {
  ConfigNode map = ConfigNode::map();
  for (const auto& task : tasks) map.set(task.name, options_of<TaskSpec>().dump(task));
  return map;
}

}  // namespace graft
