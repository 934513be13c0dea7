#pragma once
// Runs every cell of an experiment, skipping runs already finished with the
// same resolved config, and writes the comparative summary.

#include <string>

#include "core/experiment.h"
#include "core/report.h"

namespace graft {

struct SweepOptions {
  bool progress = true;
};

struct SweepResult {
  Summary summary;
  int failed = 0;      ///< runs that ended failed
  int reused = 0;      ///< runs found finished and kept
  int trained = 0;     ///< runs trained (or resumed) now
};

/// Output layout under experiment.output_dir:
///   experiment.yaml            the merged file after overrides
///   runs/<run_id>/config.yaml  one resolved config per run
///   runs/<run_id>/run.h5       its record (core/run_record.h)
///   runs/<run_id>/checkpoint.pt
///   summary.md, summary.csv    the table
SweepResult run_experiment(const Experiment& experiment, const SweepOptions& options = {});

}  // namespace graft
