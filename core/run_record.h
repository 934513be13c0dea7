#pragma once
// The record of one run, as stored in <run>/run.h5. Layout (for h5py/pandas):
//
//   /                 attributes: status ("finished" | "failed" | "running"),
//                     message, experiment, variant, run_id, seed, config (the
//                     resolved YAML), config_hash, steps_done, total_steps,
//                     samples, wall_time_s, steps_per_s, samples_per_s,
//                     data_time_fraction, runtime; model (the backbone's
//                     registry name), weights and weights_sha256 (the file
//                     its parameters started from; empty: random init)
//   /train/step       int64 [n]   steps at which training scalars were logged
//   /train/<name>     float64 [n] one column per scalar (NaN where not logged)
//   /eval/step        int64 [m]   steps at which the method was evaluated
//   /eval/<name>      float64 [m] one column per metric
//   /final/<name>     float64 scalar: the last evaluation
//   /classes/<domain> string [K] the class names of a domain's `label`, in
//                     label order (data sets that name their classes)
//
// Names use dots, never slashes ("loss.task", "target.test_acc"), so every
// column is a plain dataset: pandas.DataFrame({k: f["train"][k][:] for k in f["train"]}).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace graft {

/// Columns that share one step axis.
struct ScalarTable {
  std::vector<std::int64_t> steps;
  std::map<std::string, std::vector<double>> columns;

  /// Appends a row; columns missing in `values` get NaN, new columns are
  /// back-filled with NaN.
  void append(std::int64_t step, const std::map<std::string, double>& values);
  /// Drops rows with step >= `step` (used when resuming from a checkpoint).
  void truncate_from(std::int64_t step);
  /// The last row as a map (NaN entries left out).
  std::map<std::string, double> last() const;
};

struct RunRecord {
  std::string status = "running";
  std::string message;
  std::string experiment, variant, run_id;
  std::int64_t seed = 0;
  std::string config_yaml, config_hash;
  std::int64_t steps_done = 0, total_steps = 0, samples = 0;
  double wall_time_s = 0, steps_per_s = 0, samples_per_s = 0;
  double data_time_fraction = 0;  ///< share of training-step time spent drawing batches
  double step_time_s = 0;         ///< time inside training steps (batches included; setup, evaluation and checkpoints not)
  std::string runtime;
  std::string model;                      ///< the backbone's registry name ("resnet50"); empty: none
  std::string weights, weights_sha256;    ///< the file the backbone started from, and its sha256
  ScalarTable train, eval;
  std::map<std::string, double> final_metrics;
  std::map<std::string, std::vector<std::string>> classes;  ///< domain -> class names in label order
};

/// Writes atomically (temporary file, then rename).
void write_run_record(const std::string& path, const RunRecord& record);
/// Reads a record; throws graft::Error naming the file if it is not one.
RunRecord read_run_record(const std::string& path);

/// Every run.h5 at or below `paths` (a run.h5 itself, a run's folder, a
/// results folder, or a folder above several), canonical, each once, in the
/// order of the paths and sorted within each. `command` ("graft report")
/// and `what_to_give` complete the error for a path that does not exist or
/// holds no run.h5.
std::vector<std::string> find_run_records(const std::vector<std::string>& paths, const std::string& command,
                                          const std::string& what_to_give);

}  // namespace graft
