#include "methods/multi_task/equal_weighting.h"

#include <gtest/gtest.h>

#include "tests/methods/multi_task/mtl_test_util.h"

namespace graft {
namespace {

TEST(EqualWeightingOutcome, LearnsBothTasks) {
  const RunRecord r = testing::train_multi_mnist("{name: equal}", "{left: {}, right: {}}", 300);
  EXPECT_GT(r.final_metrics.at("left.test_acc"), 0.5);
  EXPECT_GT(r.final_metrics.at("right.test_acc"), 0.5);
}

}  // namespace
}  // namespace graft
