#pragma once
// Experiment files: from YAML (with _base_ and overrides) to a list of fully
// resolved runs, one per variant x grid point x seed.
//
//   name: quickstart
//   data: {source: {name: two_moons}, target: {name: two_moons, rotation: 35}}
//   model: {name: mlp, hidden: [15]}
//   method: {name: dann}
//   optimizer: {name: sgd, lr: 0.05}
//   schedule: {name: dann_annealing}
//   seeds: [0, 1, 2]
//   variants:                  # rows of the table; each is merged over the file
//     source_only: {method: {name: source_only}}
//     dann: {method: {name: dann}}
//   grid:                      # every combination of these overrides
//     optimizer.lr: [0.01, 0.05]

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/options.h"
#include "core/report.h"
#include "core/sweep_plan.h"
#include "core/tasks.h"

namespace graft {

/// One cell of an experiment: everything a single training run needs.
/// The identity of a run's config for "is this the same run?": the resolved
/// config's hash without the keys that only say how fast it runs (threads,
/// blas_threads, workers, prefetch), so a run finished with 2 threads is kept when the same sweep
/// runs as parallel jobs or Slurm tasks with other thread counts.
std::string run_identity(const ConfigNode& resolved);

struct RunConfig {
  std::string experiment;  ///< experiment name
  std::string variant;     ///< row label in the table ("dann", "dann lr=0.01")
  std::string run_id;      ///< folder name, unique in the experiment
  std::int64_t seed = 0;

  std::map<std::string, ConfigNode> data;  ///< domain -> resolved dataset component
  ConfigNode model, method, optimizer, schedule;
  std::int64_t steps = 0;
  std::int64_t batch_size = 0;
  std::int64_t eval_every = 0;
  std::int64_t eval_batch_size = 0;
  std::int64_t checkpoint_every = 0;
  std::int64_t log_every = 0;
  std::string device;
  std::int64_t threads = 0;
  std::int64_t blas_threads = 0;
  std::int64_t workers = 2;            ///< threads decoding data read from disk
  std::int64_t prefetch = 4;           ///< batches prepared ahead
  std::string sampler = "shuffled";    ///< order of training streams (core/sampling.h)
  std::vector<std::string> report;     ///< metrics shown in the table (all if empty)
  std::vector<std::string> selection;  ///< model-selection metrics: each adds "<metric>@<selector>" columns
  std::vector<TaskSpec> tasks;         ///< multi-task experiments: what to predict (empty: "label")

  ConfigNode resolved;  ///< the run's full config, defaults included (saved, hashed)
};

struct Experiment {
  std::string name;
  std::string file;
  std::string output_dir;              ///< <output>/<name>
  std::vector<std::string> variants;   ///< table rows, in file order
  std::vector<RunConfig> runs;
  ConfigNode resolved;                 ///< the merged file after overrides (before expansion)
  /// Delta_m columns: metric -> the variant that is its single-task baseline.
  std::vector<std::pair<std::string, std::string>> delta_m;
  ColumnAxis columns;                  ///< `columns:`, the grid axis shown as columns (empty: none)
  /// Every run of the file, kept whole when `--variants` picks some: what
  /// the results folder is expected to hold (its sweep.yaml).
  SweepPlan plan;
};

/// Loads, merges, expands and validates an experiment. Throws ConfigError
/// naming file:line:column and the key path on the first problem found.
Experiment load_experiment(const std::string& file, const std::vector<std::string>& overrides);

/// The run a results folder's run holds, rebuilt from its config.yaml as
/// `graft run` made it (its plugins loaded), for commands that read a
/// finished run (`graft analyze`). A config this graft cannot read is a
/// ConfigError naming the file.
RunConfig load_saved_run(const std::string& run_dir);

/// Keeps only the runs of the variants named (`graft run FILE --variants
/// source_only,dann`): a name is a variant as written under `variants:`
/// (every grid point of it) or a full row label ("dann task=A2W"). Throws
/// graft::Error listing the valid names for one that matches nothing.
void keep_variants(Experiment& experiment, const std::vector<std::string>& names);

/// The options of the experiment level itself, for `graft describe experiment`.
std::vector<OptionDoc> experiment_option_docs();

}  // namespace graft
