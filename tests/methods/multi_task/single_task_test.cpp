#include "methods/multi_task/single_task.h"

#include <gtest/gtest.h>

#include "tests/methods/multi_task/mtl_test_util.h"

namespace graft {
namespace {

TEST(SingleTaskOutcome, TrainsOnlyItsTask) {
  const RunRecord r = testing::train_multi_mnist("{name: single_task, task: left}", "{left: {}, right: {}}", 300);
  EXPECT_GT(r.final_metrics.at("left.test_acc"), 0.5);
  EXPECT_LT(r.final_metrics.at("right.test_acc"), 0.2);  // its head never trained: chance
}

TEST(SingleTask, UnknownTaskIsAnError) {
  const RunRecord r = testing::train_multi_mnist("{name: single_task, task: centre}", "{left: {}, right: {}}", 1, {}, false);
  EXPECT_NE(r.message.find("task 'centre' is not under `tasks:`"), std::string::npos) << r.message;
}

}  // namespace
}  // namespace graft
