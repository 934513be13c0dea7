#include "methods/multi_task/multi_task.h"

#include <gtest/gtest.h>

#include "tests/methods/multi_task/mtl_test_util.h"

namespace graft {
namespace {

TEST(MultiTaskOutcome, ClassificationAndRegressionTasksTogether) {
  // Uncertainty weighting balances the very different loss scales.
  const RunRecord r =
      testing::train_multi_mnist("{name: uncertainty}", "{left: {head_hidden: [50]}, sum: {loss: mse}}", 300);
  ASSERT_EQ(r.status, "finished") << r.message;
  EXPECT_GT(r.final_metrics.at("left.test_acc"), 0.3);
  // The sum of two digits has variance 16.5: predicting its mean scores that.
  EXPECT_LT(r.final_metrics.at("sum.test_mse"), 12.0);
  EXPECT_TRUE(r.train.columns.count("loss.left") && r.train.columns.count("loss.sum"));
}

TEST(MultiTask, UnknownTargetListsTheDataSetsTargets) {
  const RunRecord r = testing::train_multi_mnist("{name: equal}", "{middle: {}}", 1, {}, false);
  EXPECT_EQ(r.status, "failed");
  EXPECT_NE(r.message.find("valid choices: left, right, sum"), std::string::npos) << r.message;
}

TEST(MultiTask, NoTasksIsAClearError) {
  testing::TempDir dir;
  const auto file = dir.write("e.yaml", "name: t\ndata: {source: {name: two_moons}}\nmodel: {name: mlp}\nmethod: {name: equal}\nsteps: 1\n");
  const RunRecord r = train_run(load_experiment(file, {}).runs[0], dir.file("run"), {false, ""});
  EXPECT_NE(r.message.find("needs `tasks:`"), std::string::npos) << r.message;
}

}  // namespace
}  // namespace graft
