#pragma once
// The comparative table: one row per variant, mean ± std over seeds for each
// final metric, plus wall time and throughput.

#include <map>
#include <optional>
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

/// The evaluation row where `selector` is highest (the first such row, NaN
/// skipped); none when the record has no such column or value.
std::optional<std::size_t> selected_row(const RunRecord& record, const std::string& selector);

/// The metrics of that row; empty when there is none.
std::map<std::string, double> selected_metrics(const RunRecord& record, const std::string& selector);

/// Accuracies and other values in [0, 1] (names ending in "acc", P@k) are
/// shown as percentages.
bool is_fraction_metric(const std::string& name);

MetricSummary mean_std(const std::vector<double>& values);

/// Per metric: rows = variants without the axis, columns = its points, then
/// "mean" (the mean of the points' means, shown when every point has one).
/// Cells are mean ± std over seeds. Empty without summary.columns.
std::vector<std::vector<std::vector<std::string>>> column_tables(const Summary& summary);

/// What "±" shows in tables for papers, and how the best is told apart.
struct TableStyle {
  enum class Spread { std, se };
  Spread spread = Spread::std;  ///< sample std over seeds, or its standard error std/sqrt(n)
  double alpha = 0.05;          ///< Welch's t-test level for "the best is separated from the second"
};

/// The "±" of a cell: the std, or std/sqrt(n) for Spread::se.
double shown_spread(const MetricSummary& s, const TableStyle& style);

/// One table cell; `best` marks the best value of its column (by
/// higher_is_better), `not_separated` a best that Welch's t-test over seeds
/// does not separate from the second best (p >= alpha, or either has < 2 seeds).
struct TableCell {
  std::string text;
  bool best = false;
  bool not_separated = false;
};
using TableGrid = std::vector<std::vector<TableCell>>;  ///< row 0 is the header

/// The main table (as format_text_table shows it) and the per-axis tables
/// of `summary.columns`, with the best of each metric column marked.
TableGrid summary_grid(const Summary& summary, const TableStyle& style = {});
std::vector<TableGrid> column_grids(const Summary& summary, const TableStyle& style = {});

/// Two-sided p-value of Welch's unequal-variance t-test between two means
/// over seeds; NaN when either has fewer than 2 values.
double welch_p_value(const MetricSummary& a, const MetricSummary& b);

/// The sentences under a table: what a cell is, what ± is, what bold and the
/// dagger mean and which test decides it.
std::string table_caption(const Summary& summary, const TableStyle& style);

std::string format_text_table(const Summary& summary);  ///< aligned, for the terminal
/// Rows of text, the first a header, in aligned columns (the first left, the others right).
std::string format_aligned(const std::vector<std::vector<std::string>>& rows);
std::string format_markdown(const Summary& summary, const TableStyle& style = {});
std::string format_csv(const Summary& summary);
/// booktabs tables (\usepackage{booktabs}), one per table of the Markdown.
std::string format_latex(const Summary& summary, const TableStyle& style = {});

}  // namespace graft
