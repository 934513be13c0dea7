#include "core/report.h"

#include <algorithm>
#include <cmath>
#include <set>

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

std::map<std::string, double> selected_metrics(const RunRecord& record, const std::string& selector) {
  std::map<std::string, double> out;
  auto it = record.eval.columns.find(selector);
  if (it == record.eval.columns.end()) return out;
  std::size_t best = 0;
  bool found = false;
  for (std::size_t i = 0; i < it->second.size(); ++i)
    if (!std::isnan(it->second[i]) && (!found || it->second[i] > it->second[best])) {
      best = i;
      found = true;
    }
  if (!found) return out;
  for (const auto& [name, column] : record.eval.columns)
    if (!std::isnan(column[best])) out[name] = column[best];
  return out;
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

/// Accuracies and other values in [0, 1] read best as percentages.
bool is_fraction_metric(const std::string& name) {
  const std::string base = name.substr(0, name.find('@'));
  return base.size() >= 4 && (base.rfind("acc") == base.size() - 3 || base.find("p_at_") != std::string::npos);
}

std::string cell(const std::string& metric, const MetricSummary& s) {
  if (s.n == 0) return "-";
  if (is_fraction_metric(metric)) return fmt::format("{:.2f} ± {:.2f}", 100 * s.mean, 100 * s.std);
  return fmt::format("{:.4g} ± {:.2g}", s.mean, s.std);
}

std::vector<std::vector<std::string>> table_cells(const Summary& summary, bool with_units) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header{"variant", "runs"};
  for (const auto& m : summary.metric_names) header.push_back(with_units && is_fraction_metric(m) ? m + " (%)" : m);
  if (summary.show_delta_m) header.push_back("Δm %");
  header.push_back("time/run");
  header.push_back("steps/s");
  header.push_back("samples/s");
  rows.push_back(header);
  for (const auto& row : summary.rows) {
    std::vector<std::string> notes;
    if (row.failed) notes.push_back(fmt::format("{} failed", row.failed));
    if (row.pending) notes.push_back(fmt::format("{} pending", row.pending));
    std::string runs = fmt::format("{}/{}", row.finished, row.runs);
    if (!notes.empty()) runs += fmt::format(" ({})", fmt::join(notes, ", "));
    std::vector<std::string> cells{row.variant, runs};
    for (const auto& m : summary.metric_names) cells.push_back(cell(m, row.metrics.at(m)));
    if (summary.show_delta_m) cells.push_back(row.has_delta_m ? fmt::format("{:+.2f}", row.delta_m) : "-");
    cells.push_back(row.wall_time_s.n ? format_duration(row.wall_time_s.mean) : "-");
    cells.push_back(row.steps_per_s.n ? fmt::format("{:.1f}", row.steps_per_s.mean) : "-");
    cells.push_back(row.samples_per_s.n ? fmt::format("{:.0f}", row.samples_per_s.mean) : "-");
    rows.push_back(cells);
  }
  return rows;
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

std::string markdown_rows(const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    out += "|";
    for (const auto& c : rows[r]) out += " " + c + " |";
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

}  // namespace

std::vector<std::vector<std::vector<std::string>>> column_tables(const Summary& summary) {
  std::vector<std::vector<std::vector<std::string>>> tables;
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
  for (const auto& metric : summary.metric_names) {
    const bool percent = is_fraction_metric(metric);
    std::vector<std::vector<std::string>> table;
    std::vector<std::string> header{percent ? metric + " (%)" : metric};
    for (const auto& point : summary.columns.points) header.push_back(point);
    header.push_back("mean");
    table.push_back(header);
    for (const auto& name : row_names) {
      std::vector<std::string> line{name};
      double sum = 0;
      bool complete = true;
      for (const SummaryRow* row : cells[name]) {
        const MetricSummary* s = row ? &row->metrics.at(metric) : nullptr;
        line.push_back(s ? cell(metric, *s) : "-");
        complete = complete && s && s->n > 0 && row->failed == 0 && row->pending == 0;
        if (s && s->n) sum += s->mean;
      }
      const double mean = sum / static_cast<double>(cells[name].size());
      line.push_back(!complete ? "-" : percent ? fmt::format("{:.2f}", 100 * mean) : fmt::format("{:.4g}", mean));
      table.push_back(line);
    }
    tables.push_back(std::move(table));
  }
  return tables;
}

std::string format_text_table(const Summary& summary) {
  std::string out = aligned(table_cells(summary, true));
  for (const auto& table : column_tables(summary)) out += "\n" + aligned(table);
  for (const auto& row : summary.rows)
    if (!row.failure.empty()) out += fmt::format("failed: {}\n", row.failure);
  return out;
}

std::string format_markdown(const Summary& summary) {
  const auto rows = table_cells(summary, true);
  std::string out = fmt::format("# {}\n\nMean ± sample std over seeds; a plain metric is its value at the last step.",
                                summary.experiment);
  bool selected = false;
  for (const auto& m : summary.metric_names) selected = selected || m.find('@') != std::string::npos;
  if (selected)
    out += " M@S is M at the evaluation where S was highest (model selection by S; selecting by a target metric "
           "is an oracle).";
  if (summary.show_delta_m)
    out += " Δm % is the mean relative change against the single-task baselines, signed so that lower is better.";
  out += "\n\n" + markdown_rows(rows);
  const auto tables = column_tables(summary);
  if (!tables.empty())
    out += fmt::format("\nBy {0}: a row per variant, a column per {0}, and the mean of those columns' means.\n",
                       summary.columns.axis);
  for (const auto& table : tables) out += "\n" + markdown_rows(table);
  for (const auto& row : summary.rows)
    if (!row.failure.empty()) out += fmt::format("\nFailed: {}\n", row.failure);
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
  for (const auto& m : summary.metric_names) out += fmt::format(",{}_mean,{}_std,{}_n", m, m, m);
  if (summary.show_delta_m) out += ",delta_m_percent";
  out += ",wall_time_s_mean,steps_per_s_mean,samples_per_s_mean\n";
  for (const auto& row : summary.rows) {
    out += fmt::format("{},{},{},{},{}", quote(row.variant), row.runs, row.finished, row.failed, row.pending);
    for (const auto& m : summary.metric_names) {
      const auto& s = row.metrics.at(m);
      out += s.n ? fmt::format(",{:.17g},{:.17g},{}", s.mean, s.std, s.n) : ",,,0";
    }
    if (summary.show_delta_m) out += row.has_delta_m ? fmt::format(",{:.6g}", row.delta_m) : ",";
    out += fmt::format(",{:.6g},{:.6g},{:.6g}\n", row.wall_time_s.mean, row.steps_per_s.mean, row.samples_per_s.mean);
  }
  return out;
}

}  // namespace graft
