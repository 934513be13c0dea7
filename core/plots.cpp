#include "core/plots.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace graft {
namespace {

const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

std::string number(double v) {
  if (v == 0) return "0";
  const double a = std::fabs(v);
  if (a >= 1e4 || a < 1e-3) return fmt::format("{:.2e}", v);
  return fmt::format("{:.4g}", v);
}

void draw_chart(std::string& svg, const Chart& chart, double left, double top, double width, double height) {
  const double pad_left = 56, pad_bottom = 30, pad_top = 22, pad_right = 10;
  const double x0 = left + pad_left, y0 = top + pad_top;
  const double w = width - pad_left - pad_right, h = height - pad_top - pad_bottom;
  double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
  for (const auto& s : chart.series)
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.y[i]) || !std::isfinite(s.x[i])) continue;
      xmin = std::min(xmin, s.x[i]);
      xmax = std::max(xmax, s.x[i]);
      ymin = std::min(ymin, s.y[i]);
      ymax = std::max(ymax, s.y[i]);
    }
  svg += fmt::format("<text x='{}' y='{}' font-size='12' font-weight='bold'>{}</text>\n", x0, top + 14,
                     escape(chart.title));
  svg += fmt::format("<rect x='{}' y='{}' width='{}' height='{}' fill='none' stroke='#999'/>\n", x0, y0, w, h);
  if (!std::isfinite(xmin)) return;
  if (xmax == xmin) xmax = xmin + 1;
  if (ymax == ymin) {
    ymax += 0.5;
    ymin -= 0.5;
  }
  auto px = [&](double x) { return x0 + (x - xmin) / (xmax - xmin) * w; };
  auto py = [&](double y) { return y0 + h - (y - ymin) / (ymax - ymin) * h; };
  svg += fmt::format("<text x='{}' y='{}' font-size='10' text-anchor='end'>{}</text>\n", x0 - 4, y0 + 8, number(ymax));
  svg += fmt::format("<text x='{}' y='{}' font-size='10' text-anchor='end'>{}</text>\n", x0 - 4, y0 + h, number(ymin));
  svg += fmt::format("<text x='{}' y='{}' font-size='10'>{}</text>\n", x0, y0 + h + 12, number(xmin));
  svg += fmt::format("<text x='{}' y='{}' font-size='10' text-anchor='end'>{}</text>\n", x0 + w, y0 + h + 12,
                     number(xmax));
  svg += fmt::format("<text x='{}' y='{}' font-size='10' text-anchor='middle'>{}</text>\n", x0 + w / 2, y0 + h + 24,
                     escape(chart.x_label));
  for (std::size_t k = 0; k < chart.series.size(); ++k) {
    const auto& s = chart.series[k];
    const char* colour = kColours[k % 6];
    if (chart.points) {
      for (std::size_t i = 0; i < s.x.size(); ++i)
        if (std::isfinite(s.y[i]))
          svg += fmt::format("<circle cx='{:.1f}' cy='{:.1f}' r='1.6' fill='{}' fill-opacity='0.5'/>\n", px(s.x[i]),
                             py(s.y[i]), colour);
    } else {
      std::string points;
      for (std::size_t i = 0; i < s.x.size(); ++i)
        if (std::isfinite(s.y[i])) points += fmt::format("{:.1f},{:.1f} ", px(s.x[i]), py(s.y[i]));
      svg += fmt::format("<polyline fill='none' stroke='{}' stroke-width='1.4' points='{}'/>\n", colour, points);
    }
    if (chart.series.size() > 1 || !s.label.empty())
      svg += fmt::format("<text x='{}' y='{}' font-size='10' fill='{}' text-anchor='end'>{}</text>\n", x0 + w - 4,
                         y0 + 12 + 12 * static_cast<double>(k), colour, escape(s.label));
  }
}

}  // namespace

std::string render_svg(const std::string& title, const std::vector<Chart>& charts, int columns) {
  const double width = 330, height = 230, header = 28;
  const int rows = static_cast<int>((charts.size() + columns - 1) / columns);
  const int cols = std::min<int>(columns, static_cast<int>(std::max<std::size_t>(1, charts.size())));
  std::string svg = fmt::format(
      "<svg xmlns='http://www.w3.org/2000/svg' width='{}' height='{}' font-family='sans-serif'>\n"
      "<rect width='100%' height='100%' fill='white'/>\n<text x='8' y='18' font-size='14'>{}</text>\n",
      width * cols, header + height * rows, escape(title));
  for (std::size_t i = 0; i < charts.size(); ++i)
    draw_chart(svg, charts[i], width * static_cast<double>(i % columns),
               header + height * static_cast<double>(i / columns), width, height);
  return svg + "</svg>\n";
}

std::string run_curves_svg(const RunRecord& record) {
  std::vector<Chart> charts;
  auto add = [&](const ScalarTable& table, const std::string& prefix) {
    std::vector<double> steps(table.steps.begin(), table.steps.end());
    for (const auto& [name, column] : table.columns) charts.push_back({prefix + name, "step", {{"", steps, column}}});
  };
  add(record.train, "train: ");
  add(record.eval, "eval: ");
  return render_svg(fmt::format("{} — {} (seed {})", record.experiment, record.variant, record.seed), charts);
}

}  // namespace graft
