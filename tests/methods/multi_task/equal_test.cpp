#include "methods/multi_task/equal.h"

#include <gtest/gtest.h>

#include "tests/methods/multi_task/mtl_test_util.h"

namespace graft {
namespace {

// Measured over seeds 0-9 under ATEN_CPU_CAPABILITY default, avx2 and avx512
// (Intel Xeon): 0.89-0.95 on either digit, every seed.
TEST(EqualWeightingOutcome, LearnsBothTasks) {
  for (std::int64_t seed : testing::outcome_seeds({0, 1, 2})) {
    const RunRecord r = testing::train_multi_mnist("{name: equal}", "{left: {}, right: {}}", 300, {}, true, seed);
    const double left = r.final_metrics.at("left.test_acc"), right = r.final_metrics.at("right.test_acc");
    testing::print_outcome(seed, {{"left.test_acc", left}, {"right.test_acc", right}});
    EXPECT_GT(left, 0.5) << "seed " << seed;
    EXPECT_GT(right, 0.5) << "seed " << seed;
  }
}

}  // namespace
}  // namespace graft
