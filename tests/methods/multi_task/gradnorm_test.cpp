#include "methods/multi_task/gradnorm.h"

#include <gtest/gtest.h>

#include "tests/methods/multi_task/mtl_test_util.h"

namespace graft {
namespace {

// The mse of the digit sum produces far larger gradients on the shared layer
// than the classification loss: GradNorm must move weight from it to the
// classification task, keeping the weights' sum at K = 2.
TEST(GradNormOutcome, MovesWeightsTowardsBalancedGradients) {
  const RunRecord r =
      testing::train_multi_mnist("{name: gradnorm}", "{left: {}, sum: {loss: mse}}", 150, {"optimizer.lr=0.01"});
  ASSERT_EQ(r.status, "finished") << r.message;
  const double left = r.train.columns.at("weight.left").back();
  const double sum = r.train.columns.at("weight.sum").back();
  EXPECT_GT(left, 1.0);
  EXPECT_LT(sum, 1.0);
  EXPECT_NEAR(left + sum, 2.0, 1e-3);
}

}  // namespace
}  // namespace graft
