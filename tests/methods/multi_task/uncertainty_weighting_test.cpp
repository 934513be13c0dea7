#include "methods/multi_task/uncertainty_weighting.h"

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

TEST(UncertaintyWeightingOutcome, DownWeightsTheTaskWithTheLargerLoss) {
  // The mse of the digit sum is far larger than the classification loss:
  // its learned weight must end up below the classification weight.
  const RunRecord r = testing::train_multi_mnist("{name: uncertainty}", "{left: {}, sum: {loss: mse}}", 150);
  EXPECT_LT(r.train.columns.at("weight.sum").back(), r.train.columns.at("weight.left").back());
}

}  // namespace
}  // namespace graft
