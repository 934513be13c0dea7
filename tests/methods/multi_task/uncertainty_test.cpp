#include "methods/multi_task/uncertainty.h"

#include <cmath>

#include <gtest/gtest.h>

#include "tests/methods/multi_task/mtl_test_util.h"

namespace graft {
namespace {

TEST(UncertaintyWeighting, LossAndGradientsByHand) {
  // L = 0.5 e^{-s1} L1 + 0.5 s1 + 0.5 e^{-s2} L2 + 0.5 s2 with L1 = 2, L2 = 0.5, s = (0, ln 2).
  auto s = torch::tensor({0.0, std::log(2.0)}, torch::kFloat64).requires_grad_(true);
  const auto l1 = torch::tensor(2.0, torch::kFloat64), l2 = torch::tensor(0.5, torch::kFloat64);
  const auto total = uncertainty_weighted_loss({l1, l2}, s);
  EXPECT_NEAR(total.item<double>(), 0.5 * 2.0 + 0.0 + 0.5 * 0.5 * 0.5 + 0.5 * std::log(2.0), 1e-12);
  total.backward();
  // dL/ds_i = -0.5 e^{-s_i} L_i + 0.5
  EXPECT_NEAR(s.grad()[0].item<double>(), -0.5 * 2.0 + 0.5, 1e-12);
  EXPECT_NEAR(s.grad()[1].item<double>(), -0.5 * 0.5 * 0.5 + 0.5, 1e-12);
}

// The mse of the digit sum is far larger than the classification loss: its
// learned weight must end up well below the classification weight. At the
// rate 0.05 this was once written at, the sum's MSE blew up on seeds 3 and 6
// and took both weights to ~0 (a collapse that still passed "sum < left");
// at 0.01 (as mixed_losses.yaml), measured over seeds 0-9 under
// ATEN_CPU_CAPABILITY default, avx2 and avx512 (Intel Xeon), the weights end
// at 0.22-0.24 (classification) and 0.005-0.025 (sum) on every seed, the
// same to 1e-5 on all three paths.
TEST(UncertaintyWeightingOutcome, DownWeightsTheTaskWithTheLargerLoss) {
  for (std::int64_t seed : testing::outcome_seeds({0, 1, 2})) {
    const RunRecord r =
        testing::train_multi_mnist("{name: uncertainty}", "{left: {}, sum: {loss: mse}}", 150,
                                   {"optimizer.lr=0.01"}, true, seed);
    const double left = r.train.columns.at("weight.left").back(), sum = r.train.columns.at("weight.sum").back();
    testing::print_outcome(seed, {{"weight.left", left}, {"weight.sum", sum}});
    EXPECT_LT(sum, 0.5 * left) << "seed " << seed;
    EXPECT_GT(left, 0.1) << "seed " << seed;  // not a collapse of both
  }
}

}  // namespace
}  // namespace graft
