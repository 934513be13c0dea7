#include "methods/multi_task/gradnorm.h"

#include <gtest/gtest.h>

#include "tests/methods/multi_task/mtl_test_util.h"

namespace graft {
namespace {

// The mse of the digit sum produces far larger gradients on the shared layer
// than the classification loss: GradNorm must move weight from it to the
// classification task, keeping the weights' sum at K = 2. At the rate 0.01
// this claim was once written at, the digit sum's MSE diverges within ten
// steps on 7 of seeds 0-9 (equal weighting too: the setting, not GradNorm);
// at 0.001, measured over seeds 0-9 under ATEN_CPU_CAPABILITY default, avx2
// and avx512 (Intel Xeon), the classification weight ends at 1.95-2.00 and
// the sum's at 0.001-0.05 on every seed: far from the 1.0 both must cross.
TEST(GradNormOutcome, MovesWeightsTowardsBalancedGradients) {
  for (std::int64_t seed : testing::outcome_seeds({0, 1, 2})) {
    const RunRecord r = testing::train_multi_mnist("{name: gradnorm}", "{left: {}, sum: {loss: mse}}", 150,
                                                   {"optimizer.lr=0.001"}, true, seed);
    ASSERT_EQ(r.status, "finished") << r.message;
    const double left = r.train.columns.at("weight.left").back();
    const double sum = r.train.columns.at("weight.sum").back();
    testing::print_outcome(seed, {{"weight.left", left}, {"weight.sum", sum}});
    EXPECT_GT(left, 1.0) << "seed " << seed;
    EXPECT_LT(sum, 1.0) << "seed " << seed;
    EXPECT_NEAR(left + sum, 2.0, 1e-3) << "seed " << seed;
  }
}

}  // namespace
}  // namespace graft
