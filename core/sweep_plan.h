#pragma once
// What a results folder is expected to hold: every run of the experiment file
// (before `--variants` picked some), with the identity of its config. `graft
// run` writes it as <output>/sweep.yaml; `graft report` reads it to tell runs
// that never started or ran from another config from finished ones, without
// the data, plugins or registries that expanding experiment.yaml needs.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/report.h"

namespace graft {

struct SweepPlan {
  struct Run {
    std::string run_id, variant;
    std::int64_t seed = 0;
    std::string identity;  ///< run_identity() of its resolved config
  };
  std::string experiment;
  std::vector<std::string> variants;  ///< table rows, in file order
  std::vector<Run> runs;
  std::vector<std::string> report, selection;  ///< the first run's `report:` and `selection:`
  std::vector<std::pair<std::string, std::string>> delta_m;
  ColumnAxis columns;
};

std::string sweep_plan_yaml(const SweepPlan& plan);
/// Throws ConfigError naming the file, line and key of what is wrong.
SweepPlan read_sweep_plan(const std::string& file);

}  // namespace graft
