#include "core/report.h"

#include <cmath>

#include <gtest/gtest.h>

namespace graft {
namespace {

RunRecord finished(const std::string& variant, double acc) {
  RunRecord r;
  r.status = "finished";
  r.variant = variant;
  r.final_metrics["target.test_acc"] = acc;
  r.wall_time_s = 2;
  r.samples_per_s = 100;
  return r;
}

TEST(Report, MeanAndSampleStd) {
  const MetricSummary s = mean_std({1.0, 2.0, 3.0});
  EXPECT_DOUBLE_EQ(s.mean, 2.0);
  EXPECT_DOUBLE_EQ(s.std, 1.0);
  EXPECT_EQ(mean_std({5.0}).std, 0.0);
}

TEST(Report, AGridAxisAsColumnsGivesAVariantByPointTableWithTheMeanOfPoints) {
  RunRecord failed;
  failed.status = "failed";
  failed.variant = "dann task=D2W";
  Summary s = summarize("office31", {"erm task=A2W", "erm task=D2W", "dann task=A2W", "dann task=D2W"},
                        {finished("erm task=A2W", 0.70), finished("erm task=A2W", 0.80), finished("erm task=D2W", 0.90),
                         finished("dann task=A2W", 0.85), failed},
                        {"target.test_acc"});
  s.columns = ColumnAxis{"task", {"A2W", "D2W"}};
  const auto tables = column_tables(s);
  ASSERT_EQ(tables.size(), 1u);
  const auto& t = tables[0];
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0], (std::vector<std::string>{"target.test_acc (%)", "A2W", "D2W", "mean"}));
  EXPECT_EQ(t[1], (std::vector<std::string>{"erm", "75.00 ± 7.07", "90.00", "82.50"}));
  // A point with a failed run has no mean: an average over fewer tasks is not
  // the benchmark's. One seed shows no spread. The best of a column is marked
  // (not in these strings); with one seed it is never called separated.
  EXPECT_EQ(t[2], (std::vector<std::string>{"dann", "85.00", "-", "-"}));
  EXPECT_TRUE(column_grids(s)[0][2][1].best);
  EXPECT_TRUE(column_grids(s)[0][2][1].not_separated);
  EXPECT_NE(format_latex(s).find("target.test\\_acc (\\%) & A2W & D2W & mean \\\\"), std::string::npos)
      << format_latex(s);
  EXPECT_NE(format_text_table(s).find("82.50"), std::string::npos) << format_text_table(s);
  EXPECT_NE(format_markdown(s).find("| erm | 75.00 ± 7.07 | 90.00 | 82.50 |"), std::string::npos)
      << format_markdown(s);
  // A label with the axis value as a prefix of another word is not that point.
  s.columns = ColumnAxis{"task", {"A2"}};
  EXPECT_EQ(column_tables(s)[0].size(), 1u);
}

TEST(Report, RowsPerVariantAndFailuresShown) {
  RunRecord failed;
  failed.status = "failed";
  failed.variant = "b";
  failed.run_id = "b__seed0";
  failed.message = "'loss.task' became nan";
  const Summary s = summarize("exp", {"a", "b"}, {finished("a", 0.5), finished("a", 0.7), failed}, {});
  ASSERT_EQ(s.rows.size(), 2u);
  EXPECT_NEAR(s.rows[0].metrics.at("target.test_acc").mean, 0.6, 1e-12);
  EXPECT_EQ(s.rows[1].failed, 1);
  const std::string text = format_text_table(s);
  EXPECT_NE(text.find("60.00 ± 14.14"), std::string::npos) << text;
  EXPECT_NE(text.find("became nan"), std::string::npos) << text;
  EXPECT_NE(format_markdown(s).find("| a | 2/2 | 60.00 ± 14.14 |"), std::string::npos) << format_markdown(s);
  EXPECT_NE(format_csv(s).find("variant,runs,finished,failed,pending,"), std::string::npos) << format_csv(s);
  EXPECT_NE(format_csv(s).find("a,2,2,0,0,0.59999"), std::string::npos) << format_csv(s);
}

// A run another process still trains is pending: counted in the row, never averaged.
TEST(Report, PendingRunsAreCountedNotAveraged) {
  RunRecord pending;
  pending.status = "pending";
  pending.variant = "a";
  const Summary s = summarize("exp", {"a"}, {finished("a", 0.5), pending}, {});
  EXPECT_EQ(s.rows[0].runs, 2);
  EXPECT_EQ(s.rows[0].pending, 1);
  EXPECT_EQ(s.rows[0].metrics.at("target.test_acc").n, 1);
  EXPECT_NE(format_text_table(s).find("1/2 (1 pending)"), std::string::npos) << format_text_table(s);
  EXPECT_NE(format_csv(s).find("a,2,1,0,1,"), std::string::npos) << format_csv(s);
}

TEST(Report, DeltaMByHand) {
  // Two accuracies (higher better): +10% and -5% relative change -> -(10 - 5)/2 = -2.5.
  EXPECT_NEAR(delta_m_percent({0.88, 0.76}, {0.8, 0.8}, {true, true}), -2.5, 1e-9);
  // An error (lower better) that rose by 20%: +20.
  EXPECT_NEAR(delta_m_percent({1.2}, {1.0}, {false}), 20.0, 1e-9);
  EXPECT_TRUE(higher_is_better("left.test_acc"));
  EXPECT_FALSE(higher_is_better("sum.test_mse"));
}

TEST(Report, DeltaMColumnAgainstBaselineVariants) {
  auto run = [](const std::string& variant, double left, double right) {
    RunRecord r;
    r.status = "finished";
    r.variant = variant;
    r.final_metrics = {{"left.test_acc", left}, {"right.test_acc", right}};
    return r;
  };
  const Summary s = summarize("mtl", {"stl_left", "stl_right", "equal"},
                              {run("stl_left", 0.9, 0.1), run("stl_right", 0.1, 0.8), run("equal", 0.99, 0.72)},
                              {"left.test_acc", "right.test_acc"}, {},
                              {{"left.test_acc", "stl_left"}, {"right.test_acc", "stl_right"}});
  ASSERT_TRUE(s.rows[2].has_delta_m);
  EXPECT_NEAR(s.rows[2].delta_m, -(10.0 - 10.0) / 2, 1e-9);  // +10% left, -10% right
  EXPECT_NE(format_text_table(s).find("Δm %"), std::string::npos);
}

// Reference values from Welch's formulas by hand (t, Welch–Satterthwaite df)
// and the t distribution's tail: [0, 1, 2] vs [2, 3, 4]: t = -2.449, df = 4,
// p = 0.0704 (R's t.test and scipy's ttest_ind(equal_var=False) agree).
TEST(Report, WelchTestByHand) {
  const MetricSummary a = mean_std({0, 1, 2}), b = mean_std({2, 3, 4});
  EXPECT_NEAR(welch_p_value(a, b), 0.070484, 1e-5);
  EXPECT_NEAR(welch_p_value(b, a), 0.070484, 1e-5);
  // Unequal spreads and sizes: [1, 2, 3, 4] vs [6, 6.5] -> t = -5.4174,
  // df = 3.7166, p = I_{df/(df+t^2)}(df/2, 1/2) = 0.0069289 (numerical integration).
  const MetricSummary c = mean_std({1, 2, 3, 4}), d = mean_std({6, 6.5});
  EXPECT_NEAR(welch_p_value(c, d), 0.0069289, 1e-5);
  EXPECT_TRUE(std::isnan(welch_p_value(mean_std({1}), b)));
  EXPECT_EQ(welch_p_value(mean_std({1, 1}), mean_std({2, 2})), 0.0);  // no spread: any difference is exact
}

Summary two_methods(std::vector<double> first, std::vector<double> second) {
  std::vector<RunRecord> records;
  for (double v : first) records.push_back(finished("dann", v));
  for (double v : second) records.push_back(finished("source_only", v));
  return summarize("exp_1", {"dann", "source_only"}, records, {"target.test_acc"});
}

TEST(Report, TheBestOfAColumnIsBoldAndMarkedWhenTheSpreadDoesNotSeparateIt) {
  // Far apart over three seeds: bold, no dagger.
  Summary s = two_methods({0.80, 0.81, 0.82}, {0.60, 0.61, 0.62});
  TableGrid grid = summary_grid(s);
  EXPECT_TRUE(grid[1][2].best);
  EXPECT_FALSE(grid[1][2].not_separated);
  EXPECT_FALSE(grid[2][2].best);
  EXPECT_NE(format_markdown(s).find("| dann | 3/3 | **81.00 ± 1.00** |"), std::string::npos) << format_markdown(s);
  // Within the spread: bold with a dagger.
  s = two_methods({0.80, 0.70, 0.90}, {0.76, 0.80, 0.72});
  grid = summary_grid(s);
  EXPECT_TRUE(grid[1][2].best);
  EXPECT_TRUE(grid[1][2].not_separated);
  EXPECT_NE(format_markdown(s).find("**80.00 ± 10.00**†"), std::string::npos) << format_markdown(s);
  EXPECT_NE(format_csv(s).find(",best_not_separated,"), std::string::npos) << format_csv(s);
  // Lower is better for a loss.
  std::vector<RunRecord> losses;
  for (double v : {0.5, 0.6}) {
    losses.push_back(finished("a", 0));
    losses.back().final_metrics = {{"test_loss", v}};
  }
  for (double v : {0.1, 0.2}) {
    losses.push_back(finished("b", 0));
    losses.back().final_metrics = {{"test_loss", v}};
  }
  EXPECT_TRUE(summary_grid(summarize("l", {"a", "b"}, losses, {"test_loss"}))[2][2].best);
  // The standard error is the std over sqrt(n).
  TableStyle se;
  se.spread = TableStyle::Spread::se;
  EXPECT_NE(format_markdown(two_methods({0.80, 0.81, 0.82}, {0.6, 0.6, 0.6}), se).find("81.00 ± 0.58"),
            std::string::npos);
  EXPECT_NE(table_caption(s, se).find("standard error"), std::string::npos);
}

TEST(Report, LatexIsABooktabsTableWithEscapedNamesAndMath) {
  const Summary s = two_methods({0.80, 0.81, 0.82}, {0.60, 0.61, 0.62});
  const std::string latex = format_latex(s);
  EXPECT_NE(latex.find("\\begin{tabular}{lrr}"), std::string::npos) << latex;
  EXPECT_NE(latex.find("\\toprule"), std::string::npos);
  EXPECT_NE(latex.find("\\bottomrule"), std::string::npos);
  EXPECT_NE(latex.find("dann & 3/3 & $\\mathbf{81.00 \\pm 1.00}$ \\\\"), std::string::npos) << latex;
  EXPECT_NE(latex.find("source\\_only & 3/3 & $61.00 \\pm 1.00$"), std::string::npos) << latex;
  EXPECT_NE(latex.find("target.test\\_acc (\\%)"), std::string::npos) << latex;
  EXPECT_NE(latex.find("\\label{tab:exp_1}"), std::string::npos) << latex;
  EXPECT_NE(latex.find("Welch"), std::string::npos) << latex;
  // Run statistics are for the terminal, not for the paper.
  EXPECT_EQ(latex.find("samples/s"), std::string::npos) << latex;
  // No UTF-8 sign reaches pdflatex.
  for (unsigned char c : latex) EXPECT_LT(c, 0x80) << latex;
}

}  // namespace
}  // namespace graft
