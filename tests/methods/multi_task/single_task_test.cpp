#include "methods/multi_task/single_task.h"

#include <gtest/gtest.h>

#include "tests/methods/multi_task/mtl_test_util.h"

namespace graft {
namespace {

// Measured over seeds 0-9 under ATEN_CPU_CAPABILITY default, avx2 and avx512
// (Intel Xeon): its task 0.93-0.96, the untrained head 0.08-0.13 (chance 0.1).
TEST(SingleTaskOutcome, TrainsOnlyItsTask) {
  for (std::int64_t seed : testing::outcome_seeds({0, 1, 2})) {
    const RunRecord r =
        testing::train_multi_mnist("{name: single_task, task: left}", "{left: {}, right: {}}", 300, {}, true, seed);
    const double left = r.final_metrics.at("left.test_acc"), right = r.final_metrics.at("right.test_acc");
    testing::print_outcome(seed, {{"left.test_acc", left}, {"right.test_acc", right}});
    EXPECT_GT(left, 0.5) << "seed " << seed;
    EXPECT_LT(right, 0.2) << "seed " << seed;  // its head never trained: chance
  }
}

TEST(SingleTask, UnknownTaskIsAnError) {
  const RunRecord r = testing::train_multi_mnist("{name: single_task, task: centre}", "{left: {}, right: {}}", 1, {}, false);
  EXPECT_NE(r.message.find("task 'centre' is not under `tasks:`"), std::string::npos) << r.message;
}

}  // namespace
}  // namespace graft
