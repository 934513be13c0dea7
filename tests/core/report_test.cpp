#include "core/report.h"

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
  EXPECT_EQ(t[1], (std::vector<std::string>{"erm", "75.00 ± 7.07", "90.00 ± 0.00", "82.50"}));
  // A point with a failed run has no mean: an average over fewer tasks is not the benchmark's.
  EXPECT_EQ(t[2], (std::vector<std::string>{"dann", "85.00 ± 0.00", "-", "-"}));
  EXPECT_NE(format_text_table(s).find("82.50"), std::string::npos) << format_text_table(s);
  EXPECT_NE(format_markdown(s).find("| erm | 75.00 ± 7.07 | 90.00 ± 0.00 | 82.50 |"), std::string::npos)
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

}  // namespace
}  // namespace graft
