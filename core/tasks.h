#pragma once
// Tasks: what a model predicts from one data set. Multi-task experiments
// declare several under `tasks:` (each with its target, loss and head); the
// shared encoder is the experiment's `model:`. Torch-free.

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/options.h"

namespace graft {

struct TaskSpec {
  std::string name;                       ///< the key under `tasks:`; metrics are "<name>.<split>_<metric>"
  std::string target;                     ///< the data set's target it predicts (default: the name)
  std::string loss = "cross_entropy";     ///< cross_entropy (classification) or mse (regression)
  std::vector<std::int64_t> head_hidden;  ///< hidden widths of its head (empty: linear)

  static void declare(OptionSet<TaskSpec>& o);
};

/// Parses `tasks: {left: {loss: cross_entropy}, sum: {loss: mse}}`.
std::vector<TaskSpec> parse_tasks(const ConfigNode& node, const std::string& path);

/// The resolved form, every option written out.
ConfigNode dump_tasks(const std::vector<TaskSpec>& tasks);

}  // namespace graft
