#include "core/report.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include <boost/math/distributions/students_t.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/progress.h"

namespace graft {

MetricSummary mean_std(const std::vector<double>& values) {
  MetricSummary s;
  s.n = static_cast<int>(values.size());
  if (values.empty()) return s;
  for (double v : values) s.mean += v;
  s.mean /= values.size();
  if (values.size() > 1) {
    double sq = 0;
    for (double v : values) sq += (v - s.mean) * (v - s.mean);
    s.std = std::sqrt(sq / (values.size() - 1));
  }
  return s;
}

std::optional<std::size_t> selected_row(const RunRecord& record, const std::string& selector) {
  auto it = record.eval.columns.find(selector);
  if (it == record.eval.columns.end()) return std::nullopt;
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < it->second.size(); ++i)
    if (!std::isnan(it->second[i]) && (!best || it->second[i] > it->second[*best])) best = i;
  return best;
}

std::map<std::string, double> selected_metrics(const RunRecord& record, const std::string& selector) {
  std::map<std::string, double> out;
  const auto best = selected_row(record, selector);
  if (!best) return out;
  for (const auto& [name, column] : record.eval.columns)
    if (!std::isnan(column[*best])) out[name] = column[*best];
  return out;
}

double shown_spread(const MetricSummary& s, const TableStyle& style) {
  return style.spread == TableStyle::Spread::se && s.n > 0 ? s.std / std::sqrt(static_cast<double>(s.n)) : s.std;
}

bool is_fraction_metric(const std::string& name) {
  const std::string base = name.substr(0, name.find('@'));
  auto ends_with = [&base](const std::string& end) {
    return base.size() > end.size() && base.compare(base.size() - end.size(), end.size(), end) == 0;
  };
  // Accuracies, P@k, and the open-set scores (core/strategy.h, OpenSetScores).
  return ends_with("acc") || base.find("p_at_") != std::string::npos || ends_with("_os_star") || ends_with("_unk") ||
         ends_with("_hos");
}

bool higher_is_better(const std::string& metric) {
  const std::string base = metric.substr(0, metric.find('@'));
  for (const char* lower : {"mse", "loss", "err", "mae"})
    if (base.find(lower) != std::string::npos) return false;
  return true;
}

double delta_m_percent(const std::vector<double>& method, const std::vector<double>& baseline,
                       const std::vector<bool>& higher_better) {
  double sum = 0;
  for (std::size_t i = 0; i < method.size(); ++i)
    sum += (higher_better[i] ? -1.0 : 1.0) * (method[i] - baseline[i]) / baseline[i];
  return method.empty() ? 0.0 : 100.0 * sum / static_cast<double>(method.size());
}

Summary summarize(const std::string& experiment, const std::vector<std::string>& variants,
                  const std::vector<RunRecord>& records, const std::vector<std::string>& report,
                  const std::vector<std::string>& selection,
                  const std::vector<std::pair<std::string, std::string>>& delta_m) {
  Summary summary;
  summary.experiment = experiment;
  std::set<std::string> seen;
  std::vector<std::string> all;
  for (const auto& r : records)
    for (const auto& [name, value] : r.final_metrics)
      if (seen.insert(name).second) all.push_back(name);
  std::sort(all.begin(), all.end());
  const std::vector<std::string> base = report.empty() ? all : report;
  summary.metric_names = base;
  // Model selection is shown for the headline (first) metric.
  for (const auto& selector : selection)
    if (!base.empty()) summary.metric_names.push_back(base.front() + "@" + selector);

  std::map<std::string, std::map<std::string, double>> variant_means;  // for Delta_m
  for (const auto& variant : variants) {
    SummaryRow row;
    row.variant = variant;
    std::map<std::string, std::vector<double>> values;
    std::vector<double> walls, rates, step_rates;
    for (const auto& r : records) {
      if (r.variant != variant) continue;
      ++row.runs;
      if (r.status == "failed") {
        ++row.failed;
        if (row.failure.empty()) row.failure = fmt::format("{}: {}", r.run_id, r.message);
        continue;
      }
      if (r.status != "finished") {
        ++row.pending;
        continue;
      }
      ++row.finished;
      for (const auto& [name, value] : r.final_metrics) values[name].push_back(value);
      for (const auto& selector : selection)
        for (const auto& [name, value] : selected_metrics(r, selector)) values[name + "@" + selector].push_back(value);
      walls.push_back(r.wall_time_s);
      rates.push_back(r.samples_per_s);
      step_rates.push_back(r.steps_per_s);
    }
    for (const auto& name : summary.metric_names) row.metrics[name] = mean_std(values[name]);
    for (const auto& [name, list] : values)
      if (!list.empty()) variant_means[variant][name] = mean_std(list).mean;
    row.wall_time_s = mean_std(walls);
    row.samples_per_s = mean_std(rates);
    row.steps_per_s = mean_std(step_rates);
    summary.rows.push_back(std::move(row));
  }
  if (!delta_m.empty()) {
    summary.show_delta_m = true;
    for (auto& row : summary.rows) {
      std::vector<double> method, baseline;
      std::vector<bool> higher;
      bool complete = true;
      for (const auto& [metric, base_variant] : delta_m) {
        const auto& mine = variant_means[row.variant];
        const auto& theirs = variant_means[base_variant];
        if (!mine.count(metric) || !theirs.count(metric)) {
          complete = false;
          break;
        }
        method.push_back(mine.at(metric));
        baseline.push_back(theirs.at(metric));
        higher.push_back(higher_is_better(metric));
      }
      row.has_delta_m = complete;
      if (complete) row.delta_m = delta_m_percent(method, baseline, higher);
    }
  }
  return summary;
}

namespace {

std::string cell(const std::string& metric, const MetricSummary& s, const TableStyle& style) {
  if (s.n == 0) return "-";
  // One seed has no spread to show; "± 0.00" would claim one.
  if (s.n == 1) return is_fraction_metric(metric) ? fmt::format("{:.2f}", 100 * s.mean) : fmt::format("{:.4g}", s.mean);
  const double spread = shown_spread(s, style);
  if (is_fraction_metric(metric)) return fmt::format("{:.2f} ± {:.2f}", 100 * s.mean, 100 * spread);
  return fmt::format("{:.4g} ± {:.2g}", s.mean, spread);
}

/// Marks the best of column `column` (rows 1.. of `grid`, `values` one per
/// row, null where the row has none) when at least two rows have a value;
/// with `test`, also whether Welch's t-test separates it from the second.
void mark_best(TableGrid& grid, std::size_t column, const std::vector<const MetricSummary*>& values, bool higher,
               const TableStyle& style, bool test = true) {
  std::vector<std::size_t> ranked;
  for (std::size_t r = 0; r < values.size(); ++r)
    if (values[r] && values[r]->n > 0) ranked.push_back(r);
  if (ranked.size() < 2) return;
  std::stable_sort(ranked.begin(), ranked.end(), [&](std::size_t a, std::size_t b) {
    return higher ? values[a]->mean > values[b]->mean : values[a]->mean < values[b]->mean;
  });
  TableCell& best = grid[ranked[0] + 1][column];
  best.best = true;
  if (!test) return;
  const double p = welch_p_value(*values[ranked[0]], *values[ranked[1]]);
  best.not_separated = !(p < style.alpha);  // NaN (fewer than 2 seeds) counts as not separated
}

TableGrid plain_grid(const std::vector<std::vector<std::string>>& texts) {
  TableGrid grid;
  for (const auto& row : texts) {
    grid.emplace_back();
    for (const auto& text : row) grid.back().push_back(TableCell{text});
  }
  return grid;
}

std::vector<std::vector<std::string>> texts_of(const TableGrid& grid) {
  std::vector<std::vector<std::string>> texts;
  for (const auto& row : grid) {
    texts.emplace_back();
    for (const auto& c : row) texts.back().push_back(c.text);
  }
  return texts;
}

std::size_t display_width(const std::string& text) {
  std::size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;  // count UTF-8 code points
  return n;
}

std::string aligned(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], display_width(row[i]));
  std::string out;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    for (std::size_t i = 0; i < rows[r].size(); ++i) {
      const std::string pad(widths[i] - display_width(rows[r][i]), ' ');
      out += (i ? "  " : "") + (i == 0 ? rows[r][i] + pad : pad + rows[r][i]);
    }
    out += '\n';
    if (r == 0) {
      std::size_t total = 0;
      for (auto w : widths) total += w + 2;
      out += std::string(total - 2, '-') + '\n';
    }
  }
  return out;
}

std::string markdown_rows(const TableGrid& rows) {
  std::string out;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    out += "|";
    for (const auto& c : rows[r])
      out += " " + (c.best ? "**" + c.text + "**" : c.text) + (c.not_separated ? "†" : "") + " |";
    out += '\n';
    if (r == 0) {
      out += "|";
      for (std::size_t i = 0; i < rows[r].size(); ++i) out += i == 0 ? "---|" : "---:|";
      out += '\n';
    }
  }
  return out;
}

/// Splits a variant label "dann task=A2W lr=0.1" into the row "dann lr=0.1"
/// and the point "A2W" of `axis`; false when the label has no such point.
bool split_label(const std::string& label, const ColumnAxis& columns, std::string& row, std::size_t& point) {
  for (std::size_t p = 0; p < columns.points.size(); ++p) {
    const std::string token = " " + columns.axis + "=" + columns.points[p];
    for (std::size_t at = label.find(token); at != std::string::npos; at = label.find(token, at + 1)) {
      const std::size_t end = at + token.size();
      if (end != label.size() && label[end] != ' ') continue;
      row = label.substr(0, at) + label.substr(end);
      point = p;
      return true;
    }
  }
  return false;
}

bool is_run_statistic(const std::string& header) {
  return header == "time/run" || header == "steps/s" || header == "samples/s";
}

/// Plain LaTeX for a table's text: its special characters escaped, and the
/// few non-ASCII signs graft's tables use as math (pdflatex reads no UTF-8
/// symbols without extra packages).
std::string latex_escape(const std::string& text) {
  static const std::pair<const char*, const char*> kSigns[] = {
      {"±", "$\\pm$"}, {"Δ", "$\\Delta$"}, {"†", "$^\\dagger$"}, {"≥", "$\\geq$"}, {"√", "$\\surd$"}, {"—", "---"}};
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    bool sign = false;
    for (const auto& [utf8, latex] : kSigns)
      if (text.compare(i, std::strlen(utf8), utf8) == 0) {
        out += latex;
        i += std::strlen(utf8);
        sign = true;
        break;
      }
    if (sign) continue;
    const char c = text[i++];
    if (c == '\\') out += "\\textbackslash{}";
    else if (c == '~' || c == '^') out += std::string("\\") + c + "{}";
    else if (std::string("&%$#_{}").find(c) != std::string::npos) out += std::string("\\") + c;
    else out += c;
  }
  return out;
}

/// "75.00 ± 7.07" as math, bold when best: $\mathbf{75.00 \pm 7.07}$.
std::string latex_cell(const TableCell& c) {
  const std::size_t pm = c.text.find(" ± ");
  std::string text;
  if (pm == std::string::npos) {
    text = c.best ? "\\textbf{" + latex_escape(c.text) + "}" : latex_escape(c.text);
  } else {
    const std::string body = c.text.substr(0, pm) + " \\pm " + c.text.substr(pm + 4);
    text = c.best ? "$\\mathbf{" + body + "}$" : "$" + body + "$";
  }
  return text + (c.not_separated ? "$^\\dagger$" : "");
}

std::string latex_table(const TableGrid& grid, const std::string& caption, const std::string& label) {
  std::vector<std::size_t> kept;
  for (std::size_t i = 0; i < grid[0].size(); ++i)
    if (!is_run_statistic(grid[0][i].text)) kept.push_back(i);
  std::string out = "\\begin{table}[t]\n\\centering\n\\caption{" + latex_escape(caption) + "}\n";
  out += "\\label{" + label + "}\n\\begin{tabular}{l" + std::string(kept.size() - 1, 'r') + "}\n\\toprule\n";
  for (std::size_t r = 0; r < grid.size(); ++r) {
    for (std::size_t k = 0; k < kept.size(); ++k)
      out += (k ? " & " : "") + (r == 0 ? latex_escape(grid[r][kept[k]].text) : latex_cell(grid[r][kept[k]]));
    out += " \\\\\n";
    if (r == 0) out += "\\midrule\n";
  }
  return out + "\\bottomrule\n\\end{tabular}\n\\end{table}\n";
}

}  // namespace

double welch_p_value(const MetricSummary& a, const MetricSummary& b) {
  if (a.n < 2 || b.n < 2) return std::numeric_limits<double>::quiet_NaN();
  const double va = a.std * a.std / a.n, vb = b.std * b.std / b.n;
  const double se2 = va + vb;
  if (se2 == 0) return a.mean == b.mean ? 1.0 : 0.0;  // no spread at all: any difference is exact
  const double t = (a.mean - b.mean) / std::sqrt(se2);
  // Welch–Satterthwaite degrees of freedom.
  const double df = se2 * se2 / (va * va / (a.n - 1) + vb * vb / (b.n - 1));
  return 2 * boost::math::cdf(boost::math::complement(boost::math::students_t(df), std::fabs(t)));
}

TableGrid summary_grid(const Summary& summary, const TableStyle& style) {
  std::vector<std::string> header{"variant", "runs"};
  for (const auto& m : summary.metric_names) header.push_back(is_fraction_metric(m) ? m + " (%)" : m);
  if (summary.show_delta_m) header.push_back("Δm %");
  header.push_back("time/run");
  header.push_back("steps/s");
  header.push_back("samples/s");
  TableGrid grid = plain_grid({header});
  for (const auto& row : summary.rows) {
    std::vector<std::string> notes;
    if (row.failed) notes.push_back(fmt::format("{} failed", row.failed));
    if (row.pending) notes.push_back(fmt::format("{} pending", row.pending));
    std::string runs = fmt::format("{}/{}", row.finished, row.runs);
    if (!notes.empty()) runs += fmt::format(" ({})", fmt::join(notes, ", "));
    std::vector<std::string> cells{row.variant, runs};
    for (const auto& m : summary.metric_names) cells.push_back(cell(m, row.metrics.at(m), style));
    if (summary.show_delta_m) cells.push_back(row.has_delta_m ? fmt::format("{:+.2f}", row.delta_m) : "-");
    cells.push_back(row.wall_time_s.n ? format_duration(row.wall_time_s.mean) : "-");
    cells.push_back(row.steps_per_s.n ? fmt::format("{:.1f}", row.steps_per_s.mean) : "-");
    cells.push_back(row.samples_per_s.n ? fmt::format("{:.0f}", row.samples_per_s.mean) : "-");
    grid.push_back(plain_grid({cells})[0]);
  }
  for (std::size_t m = 0; m < summary.metric_names.size(); ++m) {
    std::vector<const MetricSummary*> values;
    for (const auto& row : summary.rows) values.push_back(&row.metrics.at(summary.metric_names[m]));
    mark_best(grid, 2 + m, values, higher_is_better(summary.metric_names[m]), style);
  }
  return grid;
}

std::vector<TableGrid> column_grids(const Summary& summary, const TableStyle& style) {
  std::vector<TableGrid> tables;
  if (summary.columns.axis.empty()) return tables;
  std::vector<std::string> row_names;
  std::map<std::string, std::vector<const SummaryRow*>> cells;  // row -> one SummaryRow per point
  for (const auto& row : summary.rows) {
    std::string name;
    std::size_t point = 0;
    if (!split_label(row.variant, summary.columns, name, point)) continue;
    if (!cells.count(name)) {
      row_names.push_back(name);
      cells[name].assign(summary.columns.points.size(), nullptr);
    }
    cells[name][point] = &row;
  }
  const std::size_t points = summary.columns.points.size();
  for (const auto& metric : summary.metric_names) {
    const bool percent = is_fraction_metric(metric);
    std::vector<std::string> header{percent ? metric + " (%)" : metric};
    for (const auto& point : summary.columns.points) header.push_back(point);
    header.push_back("mean");
    TableGrid table = plain_grid({header});
    std::vector<std::vector<const MetricSummary*>> by_point(points);
    std::vector<MetricSummary> means;  // the mean column: no spread, no test
    for (const auto& name : row_names) {
      std::vector<std::string> line{name};
      double sum = 0;
      bool complete = true;
      for (std::size_t p = 0; p < points; ++p) {
        const SummaryRow* row = cells[name][p];
        const MetricSummary* s = row ? &row->metrics.at(metric) : nullptr;
        by_point[p].push_back(s);
        line.push_back(s ? cell(metric, *s, style) : "-");
        complete = complete && s && s->n > 0 && row->failed == 0 && row->pending == 0;
        if (s && s->n) sum += s->mean;
      }
      const double mean = sum / static_cast<double>(points);
      MetricSummary shown;
      shown.mean = mean;
      shown.n = complete ? 1 : 0;
      means.push_back(shown);
      line.push_back(!complete ? "-" : percent ? fmt::format("{:.2f}", 100 * mean) : fmt::format("{:.4g}", mean));
      table.push_back(plain_grid({line})[0]);
    }
    for (std::size_t p = 0; p < points; ++p) mark_best(table, 1 + p, by_point[p], higher_is_better(metric), style);
    std::vector<const MetricSummary*> mean_column;
    for (const auto& m : means) mean_column.push_back(&m);
    mark_best(table, 1 + points, mean_column, higher_is_better(metric), style, /*test=*/false);
    tables.push_back(std::move(table));
  }
  return tables;
}

std::vector<std::vector<std::vector<std::string>>> column_tables(const Summary& summary) {
  std::vector<std::vector<std::vector<std::string>>> tables;
  for (const auto& grid : column_grids(summary)) tables.push_back(texts_of(grid));
  return tables;
}

std::string table_caption(const Summary& summary, const TableStyle& style) {
  std::string out = style.spread == TableStyle::Spread::se
                        ? "Mean ± standard error (sample std / √n) over seeds"
                        : "Mean ± sample standard deviation over seeds";
  out += " (n: the column runs, finished/all); a plain metric is its value at the last evaluation.";
  bool selected = false;
  for (const auto& m : summary.metric_names) selected = selected || m.find('@') != std::string::npos;
  if (selected)
    out += " M@S is M at the evaluation where S was highest (model selection by S; selecting by a target metric "
           "is an oracle).";
  if (summary.show_delta_m)
    out += " Δm % is the mean relative change against the single-task baselines, signed so that lower is better.";
  out += fmt::format(
      " Bold: the best of each column; †: the best is not separated from the second best by Welch's t-test over "
      "seeds (two-sided, p ≥ {:g}), or one of them has fewer than 2 seeds.",
      style.alpha);
  if (!summary.columns.axis.empty())
    out += fmt::format(" By {0}: a row per variant, a column per {0}, and the mean of those columns' means "
                       "(shown only when every {0} has all its runs; bold without a test).",
                       summary.columns.axis);
  return out;
}

std::string format_aligned(const std::vector<std::vector<std::string>>& rows) { return aligned(rows); }

std::string format_text_table(const Summary& summary) {
  std::string out = aligned(texts_of(summary_grid(summary)));
  for (const auto& table : column_grids(summary)) out += "\n" + aligned(texts_of(table));
  for (const auto& row : summary.rows)
    if (!row.failure.empty()) out += fmt::format("failed: {}\n", row.failure);
  return out;
}

std::string format_markdown(const Summary& summary, const TableStyle& style) {
  std::string out = fmt::format("# {}\n\n{}\n\n", summary.experiment, table_caption(summary, style));
  out += markdown_rows(summary_grid(summary, style));
  for (const auto& table : column_grids(summary, style)) out += "\n" + markdown_rows(table);
  for (const auto& row : summary.rows)
    if (!row.failure.empty()) out += fmt::format("\nFailed: {}\n", row.failure);
  return out;
}

std::string format_latex(const Summary& summary, const TableStyle& style) {
  std::string out = fmt::format("% {}: written by graft report; needs \\usepackage{{booktabs}}\n", summary.experiment);
  const std::string caption = summary.experiment + ". " + table_caption(summary, style);
  out += latex_table(summary_grid(summary, style), caption, "tab:" + summary.experiment);
  const auto tables = column_grids(summary, style);
  for (std::size_t i = 0; i < tables.size(); ++i)
    out += "\n" + latex_table(tables[i], caption, fmt::format("tab:{}:{}", summary.experiment, summary.columns.axis) +
                                                  (tables.size() > 1 ? fmt::format(":{}", i + 1) : ""));
  return out;
}

std::string format_csv(const Summary& summary) {
  auto quote = [](const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  std::string out = "variant,runs,finished,failed,pending";
  for (const auto& m : summary.metric_names) out += fmt::format(",{0}_mean,{0}_std,{0}_n,{0}_se,{0}_best", m);
  if (summary.show_delta_m) out += ",delta_m_percent";
  out += ",wall_time_s_mean,steps_per_s_mean,samples_per_s_mean\n";
  const TableGrid grid = summary_grid(summary);
  for (std::size_t r = 0; r < summary.rows.size(); ++r) {
    const SummaryRow& row = summary.rows[r];
    out += fmt::format("{},{},{},{},{}", quote(row.variant), row.runs, row.finished, row.failed, row.pending);
    for (std::size_t k = 0; k < summary.metric_names.size(); ++k) {
      const auto& s = row.metrics.at(summary.metric_names[k]);
      const TableCell& shown = grid[r + 1][2 + k];
      const char* best = !shown.best ? "" : shown.not_separated ? "best_not_separated" : "best";
      out += s.n ? fmt::format(",{:.17g},{:.17g},{},{:.17g},{}", s.mean, s.std, s.n,
                               s.std / std::sqrt(static_cast<double>(s.n)), best)
                 : ",,,0,,";
    }
    if (summary.show_delta_m) out += row.has_delta_m ? fmt::format(",{:.6g}", row.delta_m) : ",";
    out += fmt::format(",{:.6g},{:.6g},{:.6g}\n", row.wall_time_s.mean, row.steps_per_s.mean, row.samples_per_s.mean);
  }
  return out;
}

}  // namespace graft
