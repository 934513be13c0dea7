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
  EXPECT_NE(format_csv(s).find("a,2,2,0,0.59999"), std::string::npos) << format_csv(s);
}

}  // namespace
}  // namespace graft
