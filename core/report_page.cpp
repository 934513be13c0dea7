#include "core/report_page.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "core/config.h"
#include "core/error.h"

namespace graft {
namespace {

/// matplotlib's tab10: ten colours that stay apart for most colour-blind
/// readers. Variants past ten reuse them with a dash pattern.
constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
constexpr const char* kDashes[] = {"", "7 3", "2 2", "9 3 2 3"};
/// Selection markers, one shape per rule (cycled): diamond, triangle, square,
/// triangle down, plus; unit size, centred on 0.
constexpr const char* kMarkerShapes[] = {"M0,-1.2 L1.2,0 L0,1.2 L-1.2,0 Z", "M0,-1.2 L1.1,0.8 L-1.1,0.8 Z",
                                         "M-0.9,-0.9 H0.9 V0.9 H-0.9 Z", "M0,1.2 L1.1,-0.8 L-1.1,-0.8 Z",
                                         "M-0.4,-1.1 H0.4 V-0.4 H1.1 V0.4 H0.4 V1.1 H-0.4 V0.4 H-1.1 V-0.4 H-0.4 Z"};
/// More points than a chart has pixels only make the page heavy.
constexpr std::size_t kMaxCurvePoints = 200;
constexpr double kChartWidth = 520, kChartHeight = 340;

std::string html(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

/// Formats one line of the page onto `out`.
template <typename... Args>
void append_line(std::string& out, fmt::format_string<Args...> format, Args&&... args) {
  fmt::format_to(std::back_inserter(out), format, std::forward<Args>(args)...);
  out += '\n';
}

std::string with_unit(const std::string& metric) { return is_fraction_metric(metric) ? metric + " (%)" : metric; }

/// Short enough for a tick label: 20k rather than 20000, 0.15 rather than 0.15000000000000002.
std::string compact(double v) {
  const double a = std::fabs(v);
  if (a == 0) return "0";
  if (a >= 1e6) return fmt::format("{:.3g}M", v / 1e6);
  if (a >= 1e4) return fmt::format("{:.3g}k", v / 1e3);
  if (a < 1e-3) return fmt::format("{:.2e}", v);
  return fmt::format("{:.4g}", v);
}

/// Names for an axis: without the words all of them share at the start and
/// at the end ("dann lr=0.1 task=A2W", "dann lr=1 task=A2W": "lr=0.1",
/// "lr=1"), each cut to `limit` bytes without splitting a UTF-8 character.
std::vector<std::string> short_names(const std::vector<std::string>& names, std::size_t limit) {
  std::size_t prefix = 0, suffix = 0;
  if (names.size() >= 2) {
    const std::string& first = names.front();
    prefix = suffix = first.size();
    for (const auto& name : names) {
      const auto n = static_cast<std::ptrdiff_t>(std::min(first.size(), name.size()));
      const auto start = std::mismatch(first.begin(), first.begin() + n, name.begin()).first - first.begin();
      const auto end = std::mismatch(first.rbegin(), first.rbegin() + n, name.rbegin()).first - first.rbegin();
      prefix = std::min(prefix, static_cast<std::size_t>(start));
      suffix = std::min(suffix, static_cast<std::size_t>(end));
    }
    // Whole words only: up to the last space of the shared start, from the first space of the shared end.
    const std::size_t space = prefix == 0 ? std::string::npos : first.rfind(' ', prefix - 1);
    prefix = space == std::string::npos ? 0 : space + 1;
    const std::size_t end_space = first.find(' ', first.size() - suffix);
    suffix = end_space == std::string::npos ? 0 : first.size() - end_space;
  }
  std::vector<std::string> out;
  for (const auto& name : names) {
    std::string kept = prefix + suffix < name.size() ? name.substr(prefix, name.size() - prefix - suffix) : name;
    if (kept.size() > limit) {
      std::size_t cut = limit - 1;
      while (cut > 0 && (static_cast<unsigned char>(kept[cut]) & 0xC0) == 0x80) --cut;
      kept = kept.substr(0, cut) + "…";
    }
    out.push_back(kept);
  }
  return out;
}

std::string colour_of(std::size_t variant) { return kPalette[variant % std::size(kPalette)]; }

std::string dash_of(std::size_t variant) {
  const char* dash = kDashes[(variant / std::size(kPalette)) % std::size(kDashes)];
  return *dash ? fmt::format(R"( stroke-dasharray="{}")", dash) : "";
}

std::string marker_shape(std::size_t rule, double x, double y) {
  return fmt::format(R"~(d="{}" transform="translate({:.1f} {:.1f}) scale(5)" stroke="#000" stroke-width="0.16")~",
                     kMarkerShapes[rule % std::size(kMarkerShapes)], x, y);
}

/// An axis range extended to whole 1-2-5 steps, with about `target` ticks.
struct Ticks {
  double lo, hi, step;
};

Ticks nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo)) {
    const double pad = lo == 0 ? 1 : std::fabs(lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / target;
  const double magnitude = std::pow(10, std::floor(std::log10(raw)));
  const double norm = raw / magnitude;
  const double step = magnitude * (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10);
  return {std::floor(lo / step) * step, std::ceil(hi / step) * step, step};
}

/// The plotting area of a chart, mapping data to pixels.
struct Frame {
  double left = 64, top = 34, width = kChartWidth - 64 - 16, height = kChartHeight - 34 - 48;
  Ticks x{0, 1, 1}, y{0, 1, 1};
  double px(double v) const { return left + (v - x.lo) / (x.hi - x.lo) * width; }
  double py(double v) const { return top + height - (v - y.lo) / (y.hi - y.lo) * height; }
};

std::string chart_open(const std::string& metric, const std::string& kind, const std::string& title) {
  std::string svg;
  append_line(svg,
              R"(<svg class="chart" data-metric="{0}" data-kind="{1}" width="{2}" height="{3}" viewBox="0 0 {2} {3}" )"
              R"(font-family="sans-serif" font-size="10">)",
              html(metric), kind, kChartWidth, kChartHeight);
  append_line(svg,
              R"(<rect width="100%" height="100%" fill="white"/>)"
              R"(<text x="8" y="18" font-size="12" font-weight="bold">{}</text>)",
              html(title));
  return svg;
}

std::string chart_without_data(std::string svg, const std::string& what) {
  append_line(svg, R"(<text x="{}" y="{}" text-anchor="middle">no finished run has this {}</text></svg>)",
              kChartWidth / 2, kChartHeight / 2, what);
  return svg;
}

/// Tick values from lo to hi, with the rounding noise near 0 removed ("0", not "-1.1e-16").
std::vector<double> tick_values(const Ticks& t) {
  std::vector<double> values;
  const int count = static_cast<int>(std::round((t.hi - t.lo) / t.step));
  for (int i = 0; i <= count; ++i) {
    const double v = t.lo + i * t.step;
    values.push_back(std::fabs(v) < t.step * 1e-9 ? 0 : v);
  }
  return values;
}

/// Horizontal grid lines with their values, the frame and the rotated y label.
void draw_y_axis(std::string& svg, const Frame& f, const std::string& label) {
  for (double v : tick_values(f.y))
    append_line(svg,
                R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{2:.1f}" y2="{1:.1f}" stroke="#eee"/>)"
                R"(<text x="{3:.1f}" y="{4:.1f}" text-anchor="end">{5}</text>)",
                f.left, f.py(v), f.left + f.width, f.left - 4, f.py(v) + 3, compact(v));
  append_line(svg, R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#999"/>)", f.left, f.top, f.width,
              f.height);
  append_line(svg, R"~(<text transform="translate(14 {:.1f}) rotate(-90)" text-anchor="middle">{}</text>)~",
              f.top + f.height / 2, html(label));
}

void draw_x_axis(std::string& svg, const Frame& f, const std::string& label) {
  const double bottom = f.top + f.height;
  for (double v : tick_values(f.x))
    append_line(svg,
                R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="#999"/>)"
                R"(<text x="{0:.1f}" y="{3:.1f}" text-anchor="middle">{4}</text>)",
                f.px(v), bottom, bottom + 4, bottom + 15, compact(v));
  append_line(svg, R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle">{}</text>)", f.left + f.width / 2, bottom + 32,
              html(label));
}

/// One point of a curve: the mean over the runs that have a value at step `x`.
struct CurvePoint {
  double x, mean, spread;
  int n;
};

struct Curve {
  std::size_t variant;
  std::vector<CurvePoint> points;
};

/// Where a selection rule picks its evaluation, on average over a variant's runs.
struct Marker {
  std::size_t rule, variant;
  double x, y;
};

/// Mean and spread of `column` at each step where at least one run has a
/// finite value, thinned to kMaxCurvePoints (first and last kept).
std::vector<CurvePoint> mean_curve(const std::vector<const RunRecord*>& runs, ScalarTable RunRecord::*table,
                                   const std::string& column, const TableStyle& style) {
  const double scale = is_fraction_metric(column) ? 100 : 1;
  // Sorting (step, value) pairs groups the values by step in O(N log N),
  // however the runs' steps interleave.
  std::vector<std::pair<std::int64_t, double>> values;
  for (const RunRecord* run : runs) {
    const ScalarTable& t = run->*table;
    auto it = t.columns.find(column);
    if (it == t.columns.end()) continue;
    for (std::size_t i = 0; i < t.steps.size() && i < it->second.size(); ++i)
      if (std::isfinite(it->second[i])) values.emplace_back(t.steps[i], scale * it->second[i]);
  }
  std::sort(values.begin(), values.end());
  std::vector<CurvePoint> points;
  std::vector<double> group;
  for (std::size_t i = 0, j = 0; i < values.size(); i = j) {
    group.clear();
    for (j = i; j < values.size() && values[j].first == values[i].first; ++j) group.push_back(values[j].second);
    const MetricSummary s = mean_std(group);
    points.push_back({static_cast<double>(values[i].first), s.mean, shown_spread(s, style), s.n});
  }
  if (points.size() <= kMaxCurvePoints) return points;
  std::vector<CurvePoint> thinned;
  for (std::size_t k = 0; k < kMaxCurvePoints; ++k)
    thinned.push_back(points[k * (points.size() - 1) / (kMaxCurvePoints - 1)]);
  return thinned;
}

/// SVG path data through the points, `y` of each point picked by `value`.
template <typename Value>
std::string path_through(const std::vector<CurvePoint>& points, const Frame& f, Value value) {
  std::string d;
  for (const auto& p : points) d += fmt::format("{}{:.1f},{:.1f}", d.empty() ? "M" : " L", f.px(p.x), f.py(value(p)));
  return d;
}

std::string curves_svg(const std::string& metric, const std::string& kind, const std::string& title,
                       const std::vector<Curve>& curves, const std::vector<Marker>& markers,
                       const std::vector<std::string>& variants, const std::vector<std::string>& rules) {
  std::string svg = chart_open(metric, kind, title);
  if (curves.empty()) return chart_without_data(svg, "column");
  double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
  for (const auto& c : curves)
    for (const auto& p : c.points) {
      xmin = std::min(xmin, p.x);
      xmax = std::max(xmax, p.x);
      ymin = std::min(ymin, p.mean - p.spread);
      ymax = std::max(ymax, p.mean + p.spread);
    }
  for (const auto& m : markers) {
    ymin = std::min(ymin, m.y);
    ymax = std::max(ymax, m.y);
  }
  Frame f;
  f.x = nice_ticks(xmin, xmax, 6);
  f.y = nice_ticks(ymin, ymax, 5);
  draw_y_axis(svg, f, with_unit(metric));
  draw_x_axis(svg, f, "step");
  // Bands first, so that no curve is hidden under another variant's band.
  for (const auto& c : curves) {
    if (std::none_of(c.points.begin(), c.points.end(), [](const CurvePoint& p) { return p.n >= 2; })) continue;
    std::vector<CurvePoint> back(c.points.rbegin(), c.points.rend());
    append_line(
        svg, R"(<path class="band" data-variant="{}" d="{} L{} Z" fill="{}" fill-opacity="0.15"/>)",
        html(variants[c.variant]), path_through(c.points, f, [](const CurvePoint& p) { return p.mean + p.spread; }),
        path_through(back, f, [](const CurvePoint& p) { return p.mean - p.spread; }).substr(1), colour_of(c.variant));
  }
  for (const auto& c : curves) {
    std::string d = path_through(c.points, f, [](const CurvePoint& p) { return p.mean; });
    // A single evaluation is drawn as a short dash, so that it is seen and has a length.
    if (c.points.size() == 1) d += " h6 m-12,0 h6";
    const CurvePoint& last = c.points.back();
    append_line(svg,
                R"(<path class="curve" data-variant="{0}" d="{1}" fill="none" stroke="{2}" stroke-width="1.6"{3}>)"
                R"(<title>{0}: {4} at step {5} (n = {6})</title></path>)",
                html(variants[c.variant]), d, colour_of(c.variant), dash_of(c.variant), compact(last.mean),
                compact(last.x), last.n);
  }
  for (const auto& m : markers)
    append_line(svg,
                R"(<path class="selection-marker" data-rule="{0}" data-variant="{1}" {2} fill="{3}">)"
                R"(<title>{1}: best {0} at step {4}, {5} = {6}</title></path>)",
                html(rules[m.rule]), html(variants[m.variant]), marker_shape(m.rule, f.px(m.x), f.py(m.y)),
                colour_of(m.variant), compact(m.x), html(metric), compact(m.y));
  return svg + "</svg>\n";
}

/// The final values of `metric` as the table has them: one slot per row, a
/// point at the mean with an error bar of ± the spread.
std::string final_svg(const std::string& metric, const Summary& summary,
                      const std::map<std::string, std::size_t>& colour_index, const TableStyle& style) {
  const double scale = is_fraction_metric(metric) ? 100 : 1;
  const char* spread_name = style.spread == TableStyle::Spread::se ? "se" : "std";
  std::string svg = chart_open(metric, "final", fmt::format("final {} (mean ± {})", metric, spread_name));
  auto shown = [&](const SummaryRow& row) -> const MetricSummary* {
    auto it = row.metrics.find(metric);
    return it == row.metrics.end() || it->second.n == 0 || !std::isfinite(it->second.mean) ? nullptr : &it->second;
  };
  double ymin = INFINITY, ymax = -INFINITY;
  for (const auto& row : summary.rows)
    if (const MetricSummary* s = shown(row)) {
      ymin = std::min(ymin, scale * (s->mean - shown_spread(*s, style)));
      ymax = std::max(ymax, scale * (s->mean + shown_spread(*s, style)));
    }
  if (!std::isfinite(ymin)) return chart_without_data(svg, "metric");
  Frame f;
  // Room for the variant names, rotated, below and left of the first.
  f.left = 90;
  f.width = kChartWidth - f.left - 16;
  f.height = kChartHeight - f.top - 120;
  f.y = nice_ticks(ymin, ymax, 5);
  draw_y_axis(svg, f, with_unit(metric));
  const double slot = f.width / static_cast<double>(summary.rows.size());
  std::vector<std::string> names;
  for (const auto& row : summary.rows) names.push_back(row.variant);
  const std::vector<std::string> labels = short_names(names, 22);
  for (std::size_t i = 0; i < summary.rows.size(); ++i) {
    const SummaryRow& row = summary.rows[i];
    const double x = f.left + (static_cast<double>(i) + 0.5) * slot;
    append_line(svg,
                R"~(<text transform="translate({:.1f} {:.1f}) rotate(-45)" text-anchor="end">)~"
                R"(<title>{}</title>{}</text>)",
                x + 3, f.top + f.height + 10, html(row.variant), html(labels[i]));
    const MetricSummary* s = shown(row);
    if (!s) continue;
    const double mean = scale * s->mean, spread = scale * shown_spread(*s, style);
    const double half = std::min(5.0, slot / 3), high = f.py(mean + spread), low = f.py(mean - spread);
    append_line(
        svg,
        R"(<g class="final-point" data-variant="{0}"><title>{0}: {1} ± {2} (n = {3})</title>)"
        R"(<path d="M{4:.1f},{5:.1f} V{6:.1f} M{7:.1f},{5:.1f} H{8:.1f} M{7:.1f},{6:.1f} H{8:.1f}" stroke="{9}" )"
        R"(stroke-width="1.4"/><circle cx="{4:.1f}" cy="{10:.1f}" r="4" fill="{9}"/></g>)",
        html(row.variant), compact(mean), compact(spread), s->n, x, high, low, x - half, x + half,
        colour_of(colour_index.at(row.variant)), f.py(mean));
  }
  return svg + "</svg>\n";
}

/// What one selection rule picked in one run: the evaluation's step and metrics.
struct Pick {
  double step;
  std::map<std::string, double> metrics;
};

std::string grid_html(const TableGrid& grid) {
  std::string out = "<table class=\"summary\">\n";
  for (std::size_t r = 0; r < grid.size(); ++r) {
    out += "<tr>";
    for (const auto& cell : grid[r]) {
      std::string text = cell.best ? "<b>" + html(cell.text) + "</b>" : html(cell.text);
      if (cell.not_separated) text += "†";
      out += r == 0 ? "<th>" + text + "</th>" : "<td>" + text + "</td>";
    }
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

std::string base64(const std::string& bytes) {
  static const char* const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t chunk = 0;
    for (std::size_t k = 0; k < 3; ++k) chunk = chunk << 8 | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    for (std::size_t k = 0; k < 4; ++k) out += k <= n ? alphabet[(chunk >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

/// features*.svg and features*.png at the top of a run's folder, by name.
std::vector<std::filesystem::path> feature_pictures(const std::string& folder) {
  std::vector<std::filesystem::path> found;
  std::error_code error;
  for (std::filesystem::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string(), ext = it->path().extension().string();
    if (name.rfind("features", 0) == 0 && (ext == ".svg" || ext == ".png") && it->is_regular_file())
      found.push_back(it->path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::string picture_html(const std::filesystem::path& path) {
  try {
    const std::string content = read_file(path.string());
    if (path.extension() == ".png")
      return fmt::format(R"(<img src="data:image/png;base64,{}" alt="{}">)", base64(content),
                         html(path.filename().string()));
    // Inline SVG starts at its root element: an XML prologue or DOCTYPE is not allowed inside HTML.
    const std::size_t root = content.find("<svg");
    if (root != std::string::npos) return content.substr(root);
    return fmt::format(R"(<p class="problem">{}: not an SVG picture (no &lt;svg&gt; element)</p>)",
                       html(path.string()));
  } catch (const Error& e) {
    return fmt::format(R"(<p class="problem">{}</p>)", html(e.what()));
  }
}

/// Dotted key paths to values; a list of scalars stays one "[a, b]" value.
void flatten(const ConfigNode& node, const std::string& path, std::vector<std::pair<std::string, std::string>>& out) {
  if (node.is_map()) {
    if (node.entries().empty()) out.emplace_back(path, "{}");
    for (const auto& e : node.entries()) flatten(e.value, path.empty() ? e.key : path + "." + e.key, out);
  } else if (node.is_sequence()) {
    const auto& items = node.items();
    if (std::all_of(items.begin(), items.end(), [](const ConfigNode& n) { return !n.is_map() && !n.is_sequence(); })) {
      std::string joined;
      for (const auto& item : items) joined += (joined.empty() ? "" : ", ") + (item.is_null() ? "null" : item.text());
      out.emplace_back(path, "[" + joined + "]");
    } else {
      for (std::size_t i = 0; i < items.size(); ++i) flatten(items[i], path + "." + std::to_string(i), out);
    }
  } else {
    out.emplace_back(path, node.is_null() ? "null" : node.text());
  }
}

/// The runs indexed once, so that no chart scans every run: the variants in
/// colour order (a variant keeps its colour in every chart) and each one's
/// finished runs.
struct IndexedRuns {
  std::vector<std::string> variants;
  std::map<std::string, std::size_t> index;
  std::vector<std::vector<const RunRecord*>> finished;
};

IndexedRuns index_runs(const Summary& summary, const CollectedRuns& runs) {
  IndexedRuns indexed;
  auto add = [&](const std::string& v) {
    if (indexed.index.emplace(v, indexed.variants.size()).second) indexed.variants.push_back(v);
  };
  for (const auto& v : runs.variants) add(v);
  for (const auto& row : summary.rows) add(row.variant);
  for (const auto& run : runs.runs) add(run.record.variant);
  indexed.finished.resize(indexed.variants.size());
  for (const auto& run : runs.runs)
    if (run.record.status == "finished") indexed.finished[indexed.index.at(run.record.variant)].push_back(&run.record);
  return indexed;
}

/// The config keys whose values differ between variants (each variant's
/// first finished run), one column per variant.
std::string config_diff_html(const IndexedRuns& indexed) {
  const auto& variants = indexed.variants;
  const auto& finished = indexed.finished;
  std::string out = "<h2>Config differences</h2>\n";
  std::vector<std::string> compared;
  std::vector<std::map<std::string, std::string>> values;  // per compared variant: key -> value
  std::vector<std::string> keys;                           // in first-seen order
  std::set<std::string> seen;
  for (std::size_t v = 0; v < variants.size(); ++v) {
    if (finished[v].empty()) continue;
    std::vector<std::pair<std::string, std::string>> flat;
    try {
      const RunRecord& first = *finished[v].front();
      flatten(parse_config_text(first.config_yaml, (first.run_id.empty() ? variants[v] : first.run_id) + " (config)"),
              "", flat);
    } catch (const Error& e) {
      append_line(out, R"(<p class="problem">{}</p>)", html(e.what()));
      continue;
    }
    std::map<std::string, std::string> by_key;
    // The seed differs between any two runs, and the variant is the column's header.
    for (auto& [key, value] : flat) {
      if (key == "seed" || key == "variant") continue;
      if (seen.insert(key).second) keys.push_back(key);
      by_key.emplace(key, std::move(value));
    }
    compared.push_back(variants[v]);
    values.push_back(std::move(by_key));
  }
  if (compared.size() < 2) return out + "<p>Fewer than two variants have a finished run to compare.</p>\n";
  std::string rows;
  for (const auto& key : keys) {
    std::vector<const std::string*> cells;
    for (const auto& by_key : values) {
      auto it = by_key.find(key);
      cells.push_back(it == by_key.end() ? nullptr : &it->second);
    }
    const bool differs = std::any_of(cells.begin(), cells.end(),
                                     [&](const std::string* c) { return !c || !cells[0] || *c != *cells[0]; });
    if (!differs) continue;
    rows += "<tr><th>" + html(key) + "</th>";
    for (const std::string* c : cells) rows += "<td>" + (c ? html(*c) : std::string("—")) + "</td>";
    rows += "</tr>\n";
  }
  if (rows.empty()) return out + "<p>The variants' configs do not differ (seeds aside).</p>\n";
  out +=
      "<p>Keys whose values differ between variants, from each variant's first finished run "
      "(— where a variant has no such key).</p>\n<table class=\"config-diff\">\n<tr><th>key</th>";
  for (const auto& v : compared) out += "<th>" + html(v) + "</th>";
  return out + "</tr>\n" + rows + "</table>\n";
}

constexpr const char* kStyle = R"(<style>
body { font-family: sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
table.summary td { font-variant-numeric: tabular-nums; }
p.caption { font-size: 13px; color: #555; max-width: 60em; }
div.warning { background: #fff4e5; border-left: 5px solid #e67e00; padding: 4px 14px; margin: 12px 0; }
.problem { color: #b00020; }
div.legend { position: sticky; top: 0; z-index: 1; background: white; border-bottom: 1px solid #ddd;
             padding: 6px 0; font-size: 12px; }
div.legend span { display: inline-block; margin: 2px 14px 2px 0; white-space: nowrap; }
div.legend svg { vertical-align: middle; margin-right: 4px; }
div.charts { display: flex; flex-wrap: wrap; gap: 12px; }
svg.chart { max-width: 100%; height: auto; border: 1px solid #eee; }
figure.feature-picture { overflow-x: auto; margin: 12px 0; }
</style>
)";

/// Where the runs come from, how many finished, and a warning listing every
/// run that did not and everything that could not be read.
std::string status_html(const CollectedRuns& runs) {
  std::size_t finished = 0, failed = 0;
  std::string items;
  for (const auto& run : runs.runs) {
    const RunRecord& r = run.record;
    finished += r.status == "finished";
    failed += r.status == "failed";
    if (r.status == "finished") continue;
    const std::string name = r.run_id.empty() ? fmt::format("{} seed {}", r.variant, r.seed) : r.run_id;
    append_line(items, "<li><code>{}</code>: {}{}</li>", html(name), html(r.status),
                r.message.empty() ? "" : " — " + html(r.message));
  }
  for (const auto& problem : runs.problems) append_line(items, "<li>{}</li>", html(problem));
  std::string paths;
  for (const auto& p : runs.paths) paths += (paths.empty() ? "<code>" : ", <code>") + html(p) + "</code>";
  std::string out = paths.empty() ? "" : "<p>Results from " + paths + ".</p>\n";
  append_line(out, "<p>{} runs: {} finished, {} failed, {} unfinished.</p>", runs.runs.size(), finished, failed,
              runs.runs.size() - finished - failed);
  if (items.empty()) return out;
  return out +
         "<div class=\"warning\">\n<p><b>Not every run finished, or something could not be read.</b> "
         "Tables and charts show the finished runs only.</p>\n<ul>\n" +
         items + "</ul>\n</div>\n";
}

/// One legend for every chart, kept in view while scrolling through them.
std::string legend_html(const std::vector<std::string>& variants, const std::vector<std::string>& rules) {
  std::string out = "<div class=\"legend\">\n";
  for (std::size_t v = 0; v < variants.size(); ++v)
    append_line(
        out,
        R"(<span><svg width="30" height="12"><line x1="1" y1="6" x2="29" y2="6" stroke="{}" stroke-width="3"{}/>)"
        R"(</svg>{}</span>)",
        colour_of(v), dash_of(v), html(variants[v]));
  for (std::size_t s = 0; s < rules.size(); ++s)
    append_line(out, R"(<span><svg width="14" height="14"><path {} fill="#fff"/></svg>best {}</span>)",
                marker_shape(s, 7, 7), html(rules[s]));
  return out + "</div>\n";
}

/// One evaluation metric: its learning curves with the selection markers,
/// and its final values.
std::string metric_html(const std::string& metric, const Summary& summary, const IndexedRuns& indexed,
                        const std::vector<std::string>& rules, const std::vector<std::vector<std::vector<Pick>>>& picks,
                        const TableStyle& style) {
  const double scale = is_fraction_metric(metric) ? 100 : 1;
  std::vector<Curve> curves;
  std::vector<Marker> markers;
  for (std::size_t v = 0; v < indexed.variants.size(); ++v) {
    Curve curve{v, mean_curve(indexed.finished[v], &RunRecord::eval, metric, style)};
    if (!curve.points.empty()) curves.push_back(std::move(curve));
    for (std::size_t s = 0; s < rules.size(); ++s) {
      std::vector<double> steps, values;
      for (const Pick& p : picks[s][v]) {
        auto it = p.metrics.find(metric);
        if (it == p.metrics.end() || !std::isfinite(it->second)) continue;
        steps.push_back(p.step);
        values.push_back(scale * it->second);
      }
      if (!values.empty()) markers.push_back({s, v, mean_std(steps).mean, mean_std(values).mean});
    }
  }
  return fmt::format("<h2>{}</h2>\n<div class=\"charts\">\n", html(metric)) +
         curves_svg(metric, "curves", metric + " on evaluation (mean over seeds)", curves, markers, indexed.variants,
                    rules) +
         final_svg(metric, summary, indexed.index, style) + "</div>\n";
}

/// Every training scalar any finished run logged, as curves.
std::string training_html(const IndexedRuns& indexed, const TableStyle& style) {
  std::set<std::string> columns;
  for (const auto& list : indexed.finished)
    for (const RunRecord* r : list)
      for (const auto& entry : r->train.columns) columns.insert(entry.first);
  if (columns.empty()) return "";
  std::string out = "<h2>Training scalars</h2>\n<div class=\"charts\">\n";
  for (const auto& name : columns) {
    std::vector<Curve> curves;
    for (std::size_t v = 0; v < indexed.variants.size(); ++v) {
      Curve curve{v, mean_curve(indexed.finished[v], &RunRecord::train, name, style)};
      if (!curve.points.empty()) curves.push_back(std::move(curve));
    }
    out += curves_svg(name, "train", name + " in training (mean over seeds)", curves, {}, indexed.variants, {});
  }
  return out + "</div>\n";
}

/// One run's pictures per variant (its first seed that has any): a sweep of
/// 1,000 runs would otherwise make a page of hundreds of megabytes.
std::string feature_pictures_html(const CollectedRuns& runs) {
  std::string out = "<h2>Feature pictures</h2>\n";
  bool any = false;
  std::set<std::string> shown;
  for (const auto& run : runs.runs) {
    if (run.record.status != "finished" || run.folder.empty() || shown.count(run.record.variant)) continue;
    const auto pictures = feature_pictures(run.folder);
    if (!pictures.empty()) shown.insert(run.record.variant);
    for (const auto& picture : pictures) {
      any = true;
      append_line(out, R"(<figure class="feature-picture">{}<figcaption>{}, seed {} ({})</figcaption></figure>)",
                  picture_html(picture), html(run.record.variant), run.record.seed, html(picture.filename().string()));
    }
  }
  if (any) return out;
  return out + "<p>None of the runs has a feature picture (a file features*.svg or features*.png in its folder).</p>\n";
}

}  // namespace

std::string report_page_html(const Summary& summary, const CollectedRuns& runs, const TableStyle& style) {
  const IndexedRuns indexed = index_runs(summary, runs);
  std::string page = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{0} — graft report</title>\n"
      "{1}</head>\n<body>\n<h1>{0}</h1>\n",
      html(runs.title), kStyle);
  page += status_html(runs);
  page += grid_html(summary_grid(summary, style));
  page += "<p class=\"caption\">" + html(table_caption(summary, style)) + "</p>\n";
  for (const auto& grid : column_grids(summary, style)) page += grid_html(grid);

  // The experiments' selection rules, and any a "M@S" column names.
  std::vector<std::string> rules;
  auto add_rule = [&](const std::string& rule) {
    if (std::find(rules.begin(), rules.end(), rule) == rules.end()) rules.push_back(rule);
  };
  for (const auto& rule : runs.selection) add_rule(rule);
  std::vector<std::string> metrics;
  for (const auto& name : summary.metric_names) {
    const std::size_t at = name.find('@');
    if (at == std::string::npos)
      metrics.push_back(name);
    else
      add_rule(name.substr(at + 1));
  }
  // picks[rule][variant]: what the rule picked in each finished run, found once for all metrics.
  std::vector<std::vector<std::vector<Pick>>> picks(rules.size(),
                                                    std::vector<std::vector<Pick>>(indexed.variants.size()));
  for (std::size_t s = 0; s < rules.size(); ++s)
    for (std::size_t v = 0; v < indexed.variants.size(); ++v)
      for (const RunRecord* r : indexed.finished[v])
        if (auto row = selected_row(*r, rules[s]); row && *row < r->eval.steps.size())
          picks[s][v].push_back({static_cast<double>(r->eval.steps[*row]), selected_metrics(*r, rules[s])});

  page += legend_html(indexed.variants, rules);
  for (const auto& metric : metrics) page += metric_html(metric, summary, indexed, rules, picks, style);
  page += training_html(indexed, style);
  page += feature_pictures_html(runs);
  page += config_diff_html(indexed);
  return page + "</body>\n</html>\n";
}

}  // namespace graft
