#pragma once
// Plots a person can open: SVG files (any browser shows them), written by
// hand so that graft needs no plotting stack. Torch-free.

#include <string>
#include <vector>

#include "core/run_record.h"

namespace graft {

struct Series {
  std::string label;
  std::vector<double> x, y;
};

/// One chart: lines (or points) of several series.
struct Chart {
  std::string title;
  std::string x_label;
  std::vector<Series> series;
  bool points = false;  ///< scatter instead of lines
};

/// Charts laid out in a grid, `columns` per row.
std::string render_svg(const std::string& title, const std::vector<Chart>& charts, int columns = 3);

/// Learning curves of a run: one chart per training scalar and per
/// evaluation metric, against the step.
std::string run_curves_svg(const RunRecord& record);

}  // namespace graft
