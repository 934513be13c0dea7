#pragma once
// Finished results folders read back for `graft report`: every run.h5 below
// the paths given, grouped into table rows, with the runs a sweep expected
// but that never ended (killed, never started) kept as placeholders so a
// table never averages over fewer seeds silently. Nothing is trained.

#include <string>
#include <utility>
#include <vector>

#include "core/report.h"
#include "core/run_record.h"

namespace graft {

struct CollectedRun {
  /// The record as read, with `variant` set to its row label (prefixed with
  /// the experiment's name, "exp_a: dann", when the same variant name comes
  /// from two experiments). Placeholders have status "pending" and message
  /// saying why ("no run.h5", "killed at step 120 of 600").
  RunRecord record;
  std::string folder;  ///< the run's folder; empty for a run with no record
};

struct CollectedRuns {
  std::string title;                  ///< the experiment name(s), joined by " + "
  std::vector<std::string> paths;     ///< as given on the command line
  std::vector<std::string> variants;  ///< row labels, in the experiments' order
  std::vector<CollectedRun> runs;     ///< in row order, then seed
  /// What was found but could not be used: "PATH: reason" (unreadable
  /// records, an experiment.yaml that no longer expands). Shown, not fatal.
  std::vector<std::string> problems;
  /// From the experiments: the table's metrics and selection rules (the
  /// first run's `report:` and `selection:`), delta_m baselines and the
  /// `columns:` axis. A command line may replace the first two.
  std::vector<std::string> report, selection;
  std::vector<std::pair<std::string, std::string>> delta_m;
  ColumnAxis columns;
};

/// Reads every run.h5 below `paths` (results folders, run folders, or
/// folders holding several results folders). Expected runs come from each
/// results folder's experiment.yaml when it still expands; otherwise every
/// variant of an experiment is expected to have each seed any of its runs
/// has. Throws graft::Error when a path does not exist or holds no run.h5.
CollectedRuns collect_runs(const std::vector<std::string>& paths);

/// Keeps the rows named: a row label ("dann task=A2W", "exp_a: dann") or a
/// variant with every grid point of it ("dann"). Throws graft::Error listing
/// the rows for a name that matches none.
void keep_rows(CollectedRuns& runs, const std::vector<std::string>& names);

/// The summary table of collected runs (summarize() over their records).
Summary summarize(const CollectedRuns& runs);

}  // namespace graft
