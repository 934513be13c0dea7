#include "methods/multi_task/dwa.h"

#include <cmath>

#include <gtest/gtest.h>

namespace graft {
namespace {

TEST(Dwa, WeightsFromAKnownLossHistory) {
  // Task 0's loss halved, task 1's stayed: w = (0.5, 1); lambda = 2 softmax(w / 2).
  const auto weights = dwa_weights({{2.0, 1.0}, {1.0, 1.0}}, 2.0);
  const double e0 = std::exp(0.25), e1 = std::exp(0.5);
  EXPECT_NEAR(weights[0], 2 * e0 / (e0 + e1), 1e-12);
  EXPECT_NEAR(weights[1], 2 * e1 / (e0 + e1), 1e-12);
  EXPECT_NEAR(weights[0] + weights[1], 2.0, 1e-12);
}

TEST(Dwa, FirstTwoEpochsUseEqualWeights) {
  EXPECT_EQ(dwa_weights({{3.0, 1.0}}, 2.0), (std::vector<double>{1.0, 1.0}));
}

}  // namespace
}  // namespace graft
