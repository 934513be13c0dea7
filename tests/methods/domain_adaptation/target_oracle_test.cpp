#include "methods/domain_adaptation/target_oracle.h"

#include <gtest/gtest.h>

#include "tests/methods/method_test_util.h"

namespace graft {
namespace {

TEST(TargetOracle, TrainsOnTheTargetLabels) {
  TargetOracle oracle(TargetOracleOptions{});
  ASSERT_EQ(oracle.streams().size(), 1u);
  EXPECT_EQ(oracle.streams()[0].domain, "target");
  EXPECT_TRUE(oracle.streams()[0].labelled);
}

TEST(TargetOracle, IsTheUpperBoundOnRotatedMoons) {
  const double oracle =
      testing::train_small(testing::kRotatedMoons, "{name: target_oracle}").final_metrics.at("target.test_acc");
  const double source_only =
      testing::train_small(testing::kRotatedMoons, "{name: source_only}").final_metrics.at("target.test_acc");
  EXPECT_GT(oracle, 0.97);
  EXPECT_GT(oracle, source_only + 0.1);
}

}  // namespace
}  // namespace graft
