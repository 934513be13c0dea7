#pragma once
// The comparative table: one row per variant, mean ± std over seeds for each
// final metric, plus wall time and throughput.

#include <map>
#include <string>
#include <vector>

#include "core/run_record.h"

namespace graft {

struct MetricSummary {
  double mean = 0;
  double std = 0;  ///< sample standard deviation (n - 1); 0 for a single run
  int n = 0;
};

struct SummaryRow {
  std::string variant;
  int runs = 0, finished = 0, failed = 0;
  int pending = 0;  ///< runs without an ended record yet (another process trains them)
  std::map<std::string, MetricSummary> metrics;
  MetricSummary wall_time_s, samples_per_s, steps_per_s;
  bool has_delta_m = false;
  double delta_m = 0;  ///< Delta_m % against the single-task baselines (lower is better)
  std::string failure;  ///< first failure message, if any
};

/// A grid axis shown as columns: rows are the variants without it ("dann"
/// from "dann task=A2W"), columns its points and their mean.
struct ColumnAxis {
  std::string axis;                 ///< empty: no such table
  std::vector<std::string> points;  ///< in grid order
};

struct Summary {
  std::string experiment;
  std::vector<std::string> metric_names;  ///< columns, in display order
  std::vector<SummaryRow> rows;
  bool show_delta_m = false;
  ColumnAxis columns;  ///< adds one table per metric to the text and Markdown
};

/// Groups records by variant (rows in `variants` order). `report` picks and
/// orders the metric columns; empty means every final metric (the last
/// evaluation). Each `selection` metric S adds a column "M@S" for the first
/// reported metric M: M at the evaluation where S was highest (model selection).
Summary summarize(const std::string& experiment, const std::vector<std::string>& variants,
                  const std::vector<RunRecord>& records, const std::vector<std::string>& report,
                  const std::vector<std::string>& selection = {},
                  const std::vector<std::pair<std::string, std::string>>& delta_m = {});

/// Whether a larger value of `metric` is better (accuracies, P@k) or not
/// (mse, loss, error).
bool higher_is_better(const std::string& metric);

/// Delta_m % (Maninis et al. 2019; Vandenhende et al.): the mean over metrics
/// of (-1)^d (M_m - M_b) / M_b * 100, d = 1 when higher is better, so lower
/// is better and a method that beats every baseline is negative.
double delta_m_percent(const std::vector<double>& method, const std::vector<double>& baseline,
                       const std::vector<bool>& higher_better);

/// The metrics of the evaluation row where `selector` is highest (first such
/// row); empty when the record has no such column.
std::map<std::string, double> selected_metrics(const RunRecord& record, const std::string& selector);

MetricSummary mean_std(const std::vector<double>& values);

/// Per metric: rows = variants without the axis, columns = its points, then
/// "mean" (the mean of the points' means, shown when every point has one).
/// Cells are mean ± std over seeds. Empty without summary.columns.
std::vector<std::vector<std::vector<std::string>>> column_tables(const Summary& summary);

std::string format_text_table(const Summary& summary);  ///< aligned, for the terminal
std::string format_markdown(const Summary& summary);
std::string format_csv(const Summary& summary);

}  // namespace graft
