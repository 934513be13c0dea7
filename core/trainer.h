#pragma once
// Trains one run of an experiment: the framework-owned loop described in
// core/strategy.h. Torch-free declarations.

#include <cstdint>
#include <optional>
#include <string>

#include "core/experiment.h"
#include "core/run_record.h"

namespace graft {

struct TrainOptions {
  bool progress = true;  ///< draw a progress bar on stderr
  std::string label;     ///< shown before the bar, e.g. "[2/6] dann seed 1"
};

/// Trains `run` in `run_dir` (config.yaml, run.h5, checkpoint.pt). Resumes
/// from checkpoint.pt when it was written for the same resolved config. A run
/// that diverges or throws is returned with status "failed" and a message; it
/// does not throw. The record is also written to run_dir/run.h5.
RunRecord train_run(const RunConfig& run, const std::string& run_dir, const TrainOptions& options = {});

/// The step a run's checkpoint.pt was saved at, read as a resume reads it;
/// nullopt when it was written for another config. A damaged file (not an
/// archive, a key missing or of another type) is a graft::Error naming it.
std::optional<std::int64_t> checkpoint_step(const std::string& path, const std::string& config_hash);

}  // namespace graft
