// The report page: what it contains, counted from its HTML, and, when a
// browser is installed, that every chart really draws in one.

#include "core/report_page.h"

#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/process.h"
#include "tests/test_util.h"

namespace graft {
namespace {

const std::vector<std::string> kPageReport{"target.test_acc", "target.test_loss"};
const std::vector<std::string> kPageSelection{"source.val_acc", "target.val_acc"};

std::string page_config(const std::string& method, double lr, std::int64_t seed) {
  return fmt::format(
      "name: exp\nvariant: v\nseed: {2}\nmethod:\n  name: {0}\n  head_hidden: [100, 100]\n"
      "optimizer:\n  name: sgd\n  lr: {1}\nsteps: 100\n",
      method, lr, seed);
}

/// A finished run: five evaluations, fifty logged training losses, and the
/// last evaluation as its final metrics.
RunRecord page_run(const std::string& variant, const std::string& method, double lr, std::int64_t seed, double level) {
  RunRecord r;
  r.status = "finished";
  r.experiment = "exp";
  r.variant = variant;
  r.run_id = fmt::format("{}__seed{}", variant, seed);
  r.seed = seed;
  r.config_yaml = page_config(method, lr, seed);
  for (int i = 1; i <= 5; ++i) {
    const double acc = level + 0.05 * i + 0.01 * static_cast<double>(seed);
    r.eval.steps.push_back(20 * i);
    r.eval.columns["target.test_acc"].push_back(acc);
    r.eval.columns["target.test_loss"].push_back(1.5 - acc);
    // The two rules pick different evaluations: the source's peaks in the middle.
    r.eval.columns["source.val_acc"].push_back(i == 3 ? 0.9 : 0.5);
    r.eval.columns["target.val_acc"].push_back(acc);
  }
  for (int step = 2; step <= 100; step += 2) {
    r.train.steps.push_back(step);
    r.train.columns["loss.task"].push_back(1.0 / step + 0.01 * static_cast<double>(seed));
  }
  for (const auto& [name, column] : r.eval.columns) r.final_metrics[name] = column.back();
  return r;
}

/// Three variants by three seeds; `source_only` and `dann` differ in
/// method.name, `dann lr=0.1` from `dann` in optimizer.lr.
CollectedRuns page_runs() {
  CollectedRuns runs;
  runs.title = "exp";
  runs.paths = {"results/exp"};
  runs.variants = {"source_only", "dann", "dann lr=0.1"};
  runs.report = kPageReport;
  runs.selection = kPageSelection;
  for (std::int64_t seed = 0; seed < 3; ++seed) {
    runs.runs.push_back({page_run("source_only", "source_only", 0.01, seed, 0.5), ""});
    runs.runs.push_back({page_run("dann", "dann", 0.01, seed, 0.6), ""});
    runs.runs.push_back({page_run("dann lr=0.1", "dann", 0.1, seed, 0.65), ""});
  }
  return runs;
}

std::string page_of(const CollectedRuns& runs) {
  std::vector<RunRecord> records;
  for (const auto& run : runs.runs) records.push_back(run.record);
  return report_page_html(summarize(runs.title, runs.variants, records, runs.report, runs.selection), runs);
}

std::size_t page_count(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++count;
  return count;
}

/// From the first `open` on, up to and including the next `close` ("" when absent).
std::string page_element(const std::string& page, const std::string& open, const std::string& close) {
  const std::size_t begin = page.find(open);
  if (begin == std::string::npos) return "";
  const std::size_t end = page.find(close, begin);
  return end == std::string::npos ? "" : page.substr(begin, end + close.size() - begin);
}

struct PageChart {
  std::string kind, metric, svg;
};

std::vector<PageChart> page_charts(const std::string& page) {
  std::vector<PageChart> charts;
  const std::regex header(R"re(<svg class="chart" data-metric="([^"]*)" data-kind="([^"]*)")re");
  for (std::sregex_iterator it(page.begin(), page.end(), header), end; it != end; ++it) {
    const std::size_t begin = static_cast<std::size_t>(it->position());
    const std::size_t close = page.find("</svg>", begin);
    charts.push_back({(*it)[2], (*it)[1], page.substr(begin, close - begin)});
  }
  return charts;
}

TEST(ReportPage, OneCurvesAndOneFinalChartPerMetricWithACurvePerVariant) {
  const std::string page = page_of(page_runs());
  int curves_charts = 0, final_charts = 0, train_charts = 0;
  for (const auto& chart : page_charts(page)) {
    SCOPED_TRACE(chart.kind + " " + chart.metric);
    if (chart.kind == "curves") {
      ++curves_charts;
      EXPECT_EQ(page_count(chart.svg, "class=\"curve\""), 3u);
      EXPECT_EQ(page_count(chart.svg, "class=\"band\""), 3u);
      EXPECT_EQ(page_count(chart.svg, "class=\"selection-marker\""), kPageSelection.size() * 3);
      for (const auto& rule : kPageSelection)
        EXPECT_EQ(page_count(chart.svg, "data-rule=\"" + rule + "\""), 3u) << rule;
    } else if (chart.kind == "final") {
      ++final_charts;
      EXPECT_EQ(page_count(chart.svg, "class=\"final-point\""), 3u);
    } else {
      ASSERT_EQ(chart.kind, "train");
      ++train_charts;
      EXPECT_EQ(chart.metric, "loss.task");
      EXPECT_EQ(page_count(chart.svg, "class=\"curve\""), 3u);
    }
  }
  EXPECT_EQ(curves_charts, 2);
  EXPECT_EQ(final_charts, 2);
  EXPECT_EQ(train_charts, 1);
  // Accuracies are shown as percentages.
  EXPECT_NE(page.find("target.test_acc (%)"), std::string::npos);
  EXPECT_EQ(page.find("target.test_loss (%)"), std::string::npos);

  const std::string table = page_element(page, "<table class=\"summary\">", "</table>");
  EXPECT_NE(table.find("<td>3/3</td>"), std::string::npos) << table;
  EXPECT_NE(page.find("<p class=\"caption\">"), std::string::npos);
  EXPECT_EQ(page.find("<div class=\"warning\">"), std::string::npos) << "every run finished";
  EXPECT_NE(page.find("None of the runs has a feature picture"), std::string::npos);

  const std::string diff = page_element(page, "<table class=\"config-diff\">", "</table>");
  EXPECT_NE(diff.find("<tr><th>method.name</th><td>source_only</td><td>dann</td><td>dann</td></tr>"), std::string::npos)
      << diff;
  EXPECT_NE(diff.find("<tr><th>optimizer.lr</th><td>0.01</td><td>0.01</td><td>0.1</td></tr>"), std::string::npos)
      << diff;
  for (const char* same : {"<th>optimizer.name</th>", "<th>method.head_hidden</th>", "<th>steps</th>", "<th>seed</th>"})
    EXPECT_EQ(diff.find(same), std::string::npos) << same << " is the same in every variant\n" << diff;
}

TEST(ReportPage, SameInputGivesTheSamePage) { EXPECT_EQ(page_of(page_runs()), page_of(page_runs())); }

TEST(ReportPage, FailedAndPendingRunsAreListedAndNothingIsFetched) {
  CollectedRuns runs = page_runs();
  RunRecord& failed = runs.runs[1].record;
  failed.status = "failed";
  failed.message = "loss.task became nan at step 40";
  RunRecord pending;
  pending.status = "pending";
  pending.variant = "dann";
  pending.seed = 3;
  pending.message = "killed at step 120 of 600";
  runs.runs.push_back({pending, ""});
  runs.problems = {"results/exp/runs/x/run.h5: not a run record"};
  const std::string page = page_of(runs);

  const std::string warning = page_element(page, "<div class=\"warning\">", "</div>");
  EXPECT_NE(warning.find("dann__seed0</code>: failed — loss.task became nan at step 40"), std::string::npos) << warning;
  EXPECT_NE(warning.find("dann seed 3</code>: pending — killed at step 120 of 600"), std::string::npos) << warning;
  EXPECT_NE(warning.find("not a run record"), std::string::npos) << warning;
  EXPECT_NE(page.find("10 runs: 8 finished, 1 failed, 1 unfinished."), std::string::npos);
  // The failed run's row has two finished seeds left, and still its chart curve.
  EXPECT_NE(page.find("<td>2/4 (1 failed, 1 pending)</td>"), std::string::npos);

  EXPECT_EQ(page.find("<script"), std::string::npos);
  const std::string svg_namespace = "http://www.w3.org/2000/svg";
  for (const char* scheme : {"http://", "https://"})
    for (std::size_t at = page.find(scheme); at != std::string::npos; at = page.find(scheme, at + 1))
      EXPECT_EQ(page.compare(at, svg_namespace.size(), svg_namespace), 0) << page.substr(at, 60);
}

TEST(ReportPage, FeaturePicturesInARunFolderAreEmbedded) {
  testing::TempDir dir;
  dir.write(
      "dann__seed1/features_pca.svg",
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"20\" height=\"20\"><circle id=\"pca-dot\" r=\"3\"/></svg>\n");
  // The first eight bytes of every PNG file; base64 "iVBORw0KGgo=".
  dir.write("dann__seed1/features_umap.png", std::string("\x89PNG\r\n\x1a\n", 8));
  dir.write("dann__seed1/curves.svg", "<svg id=\"not-a-feature-picture\"></svg>");
  // Another seed's pictures are not repeated: one run's per variant keeps
  // the page small for a sweep of hundreds of runs.
  dir.write("dann__seed2/features_pca.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"second-seed\"/>\n");
  CollectedRuns runs = page_runs();
  runs.runs[4].folder = dir.file("dann__seed1");
  runs.runs[7].folder = dir.file("dann__seed2");
  ASSERT_EQ(runs.runs[4].record.run_id, "dann__seed1");
  ASSERT_EQ(runs.runs[7].record.run_id, "dann__seed2");
  const std::string page = page_of(runs);

  EXPECT_EQ(page_count(page, "<figure class=\"feature-picture\">"), 2u);
  EXPECT_EQ(page.find("second-seed"), std::string::npos);
  const std::string svg_figure = page_element(page, "<figure class=\"feature-picture\">", "</figure>");
  EXPECT_NE(
      svg_figure.find("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"20\" height=\"20\"><circle id=\"pca-dot\""),
      std::string::npos)
      << svg_figure;
  EXPECT_NE(svg_figure.find("<figcaption>dann, seed 1 (features_pca.svg)</figcaption>"), std::string::npos)
      << svg_figure;
  EXPECT_EQ(page.find("<?xml"), std::string::npos);
  EXPECT_EQ(page.find("<!DOCTYPE svg"), std::string::npos);
  EXPECT_NE(page.find("<img src=\"data:image/png;base64,iVBORw0KGgo=\""), std::string::npos);
  EXPECT_EQ(page.find("not-a-feature-picture"), std::string::npos);
  EXPECT_EQ(page.find("None of the runs has a feature picture"), std::string::npos);
}

TEST(ReportPage, NamesAreEscaped) {
  const std::string name = "a<b & \"c\"";
  CollectedRuns runs = page_runs();
  runs.variants[0] = name;
  for (auto& run : runs.runs)
    if (run.record.variant == "source_only") run.record.variant = name;
  const std::string page = page_of(runs);
  EXPECT_EQ(page.find("a<b"), std::string::npos);
  EXPECT_EQ(page.find("\"c\""), std::string::npos);
  EXPECT_NE(page.find("data-variant=\"a&lt;b &amp; &quot;c&quot;\""), std::string::npos);
}

// Grid variants share most of their names; the final chart's axis shows what differs.
TEST(ReportPage, FinalChartLabelsDropTheWordsEveryVariantShares) {
  CollectedRuns runs = page_runs();
  runs.variants = {"dann lr=0.01 task=A2W", "dann lr=0.1 task=A2W", "dann lr=1 task=A2W"};
  for (std::size_t i = 0; i < runs.runs.size(); ++i) runs.runs[i].record.variant = runs.variants[i % 3];
  int final_charts = 0;
  for (const auto& chart : page_charts(page_of(runs))) {
    if (chart.kind != "final") continue;
    ++final_charts;
    for (const char* label : {">lr=0.01</text>", ">lr=0.1</text>", ">lr=1</text>"})
      EXPECT_NE(chart.svg.find(label), std::string::npos) << label << "\n" << chart.svg;
    EXPECT_NE(chart.svg.find("<title>dann lr=0.1 task=A2W</title>"), std::string::npos) << "the full name on hover";
  }
  EXPECT_EQ(final_charts, 2);
}

/// The check the browser test appends to a copy of the page: per chart, how
/// many curves have a length and a width on screen, and how many final
/// points a box. One line in <pre id="check">, read back from --dump-dom.
constexpr const char* kPageCheckScript = R"js(<script>
window.addEventListener('load', () => {
  const charts = [...document.querySelectorAll('svg.chart')].map(svg => {
    const curves = [...svg.querySelectorAll('path.curve')];
    const points = [...svg.querySelectorAll('g.final-point')];
    const drawn = curves.filter(p => p.getTotalLength() > 0 && p.getBBox().width > 0).length;
    const shown = points.filter(g => { const b = g.getBBox(); return b.width > 0 && b.height > 0; }).length;
    return `{"kind":"${svg.dataset.kind}","metric":"${svg.dataset.metric}","curves":${curves.length},` +
           `"drawn":${drawn},"points":${points.length},"shown":${shown}}`;
  });
  const pre = document.createElement('pre');
  pre.id = 'check';
  pre.textContent = 'charts: [' + charts.join(',') + ']';
  document.body.appendChild(pre);
});
</script>
)js";

TEST(ReportPage, EveryChartDrawsInHeadlessChromium) {
  const std::string chromium = "/usr/bin/chromium";
  if (!std::filesystem::exists(chromium)) {
    const char* required = std::getenv("GRAFT_REQUIRE_BROWSER");
    if (required && std::string(required) == "1")
      FAIL() << chromium << " is missing and GRAFT_REQUIRE_BROWSER=1: install Debian's chromium "
             << "(apt-get install chromium)";
    GTEST_SKIP() << chromium << " is not installed (Debian's chromium); the page is not checked in a browser";
  }
  testing::TempDir dir;
  const std::string page = page_of(page_runs());
  const std::string page_path = dir.write("page.html", page);
  std::string checked = page;
  checked.insert(checked.rfind("</body>"), kPageCheckScript);
  const std::string checked_path = dir.write("checked.html", checked);
  std::filesystem::create_directories(dir.file("profile"));
  // No network, no first-run or background work: the page must draw from the file alone.
  const std::vector<std::string> flags{"--headless",
                                       "--no-sandbox",
                                       "--disable-gpu",
                                       "--disable-quic",
                                       "--no-first-run",
                                       "--disable-background-networking",
                                       "--disable-component-update",
                                       "--disable-sync",
                                       "--user-data-dir=" + dir.file("profile"),
                                       "--virtual-time-budget=5000"};
  auto browse = [&](const std::vector<std::string>& extra) {
    // coreutils' timeout: a browser that hangs fails the test instead of the whole run.
    std::vector<std::string> argv{"timeout", "120", chromium};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_command(argv, dir.path());
  };

  const auto [status, dom] = browse({"--dump-dom", "file://" + checked_path});
  ASSERT_EQ(status, 0) << dom;
  const std::regex chart_line(
      R"re(\{"kind":"(\w+)","metric":"([^"]*)","curves":(\d+),"drawn":(\d+),"points":(\d+),"shown":(\d+)\})re");
  const std::size_t line = dom.find("<pre id=\"check\">charts: [");
  ASSERT_NE(line, std::string::npos) << "the check script wrote nothing:\n" << dom;
  const std::string check = dom.substr(line, dom.find("</pre>", line) - line);
  std::map<std::string, int> charts_of_kind;
  for (std::sregex_iterator it(check.begin(), check.end(), chart_line), end; it != end; ++it) {
    const std::smatch& m = *it;
    SCOPED_TRACE(m.str());
    ++charts_of_kind[m[1]];
    const int expected_curves = m[1] == "final" ? 0 : 3, expected_points = m[1] == "final" ? 3 : 0;
    EXPECT_EQ(std::stoi(m[3]), expected_curves);
    EXPECT_EQ(std::stoi(m[4]), expected_curves) << "curves drawn with a length and a width";
    EXPECT_EQ(std::stoi(m[5]), expected_points);
    EXPECT_EQ(std::stoi(m[6]), expected_points) << "final points with a box";
  }
  EXPECT_EQ(charts_of_kind, (std::map<std::string, int>{{"curves", 2}, {"final", 2}, {"train", 1}})) << check;

  // A picture of the page for the docs, only when asked for.
  if (const char* screenshot = std::getenv("GRAFT_REPORT_SCREENSHOT")) {
    const std::string target = std::filesystem::absolute(screenshot).string();
    const auto [shot_status, shot_output] =
        browse({"--screenshot=" + target, "--window-size=1400,2400", "file://" + page_path});
    EXPECT_EQ(shot_status, 0) << shot_output;
    EXPECT_TRUE(std::filesystem::exists(target)) << shot_output;
  }
}

}  // namespace
}  // namespace graft
