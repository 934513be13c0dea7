#pragma once
// Runs every cell of an experiment, skipping runs already finished with the
// same resolved config, and writes the comparative summary.

#include <string>
#include <vector>

#include "core/experiment.h"
#include "core/report.h"

namespace graft {

struct SweepOptions {
  bool progress = true;
  /// Train only these runs (indices into experiment.runs; empty: all). The
  /// summary still covers every run that has a record.
  std::vector<std::size_t> only;
  /// false: train nothing, only collect the records other processes wrote
  /// (the table after `--jobs N`); failed runs are then counted, not retried.
  bool train = true;
};

struct SweepResult {
  Summary summary;
  int failed = 0;      ///< runs that ended failed
  int reused = 0;      ///< runs found finished and kept
  int trained = 0;     ///< runs trained (or resumed) now
  /// Runs with neither a finished nor a failed record: another process
  /// trains them (or has not yet). The table is then partial and the
  /// summary files are not written.
  int pending = 0;
};

/// Output layout under experiment.output_dir:
///   experiment.yaml            the merged file after overrides
///   sweep.yaml                 every run the file expands to (core/sweep_plan.h)
///   runs/<run_id>/config.yaml  one resolved config per run
///   runs/<run_id>/run.h5       its record (core/run_record.h)
///   runs/<run_id>/checkpoint.pt
///   summary.md, summary.csv    the table, written once no run is pending
SweepResult run_experiment(const Experiment& experiment, const SweepOptions& options = {});

/// True when run `index` has a finished record made from its current config
/// (so a sweep keeps it).
bool run_finished(const Experiment& experiment, std::size_t index);

/// The run index given on the command line (`--run K`, or a Slurm array
/// task), checked against the experiment; throws with the valid range.
std::size_t run_index(const Experiment& experiment, const std::string& text);

/// A Slurm job array with one task per run of the experiment: every task
/// runs `graft run FILE ... --run $SLURM_ARRAY_TASK_ID` into the same results
/// folder. Returns the script; `cpus` per task become its thread count.
std::string slurm_array_script(const Experiment& experiment, const std::string& graft_executable,
                               const std::string& file, const std::vector<std::string>& overrides, int cpus);

}  // namespace graft
