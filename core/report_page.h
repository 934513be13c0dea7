#pragma once
// `graft report`'s page: one self-contained HTML file (inline CSS and SVG,
// no script, nothing fetched) that opens offline in any browser. Torch-free.
//
// Sections, in order: where the runs come from and how many finished; a
// warning listing failed and unfinished runs and what could not be read; the
// tables (best per column in bold, † where the best is not separated from the
// second) and their caption; one legend for every chart (a colour per
// variant, a marker shape per selection rule); then per metric: learning
// curves of every variant (mean over finished seeds, band = ± the table's
// spread) with one marker per selection rule where that rule picks its
// evaluation, and the final values as points with error bars; the training
// scalars as curves; the feature-space pictures runs have
// (<run>/features*.svg and .png, embedded); and the config keys whose values
// differ between variants. Output is deterministic: the same input gives the
// same bytes.

#include <string>

#include "core/collect.h"
#include "core/report.h"

namespace graft {

/// Element classes a check can count in the rendered page (the browser test
/// reads them back): each chart is <svg class="chart" data-metric=M
/// data-kind=curves|final|train>, each
/// variant's curve a <path class="curve" data-variant=V>, each band a
/// <path class="band">, each final value <g class="final-point">, each
/// selection marker <path class="selection-marker" data-rule=S>, each
/// embedded picture <figure class="feature-picture">.
std::string report_page_html(const Summary& summary, const CollectedRuns& runs, const TableStyle& style = {});

}  // namespace graft
