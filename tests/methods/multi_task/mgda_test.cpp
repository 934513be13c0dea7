#include "methods/multi_task/mgda.h"

#include <gtest/gtest.h>

namespace graft {
namespace {

TEST(Mgda, MinNormPointOfTwoKnownVectors) {
  // g1 = (1, 0), g2 = (0, 2): min ||a g1 + (1-a) g2||^2 = a^2 + 4 (1-a)^2 -> a = 0.8.
  const auto alpha = min_norm_weights(torch::tensor({{1.0, 0.0}, {0.0, 2.0}}, torch::kFloat64));
  EXPECT_NEAR(alpha[0].item<double>(), 0.8, 1e-12);
  EXPECT_NEAR(alpha[1].item<double>(), 0.2, 1e-12);
}

TEST(Mgda, OneGradientInsideTheHullOfTheOtherGivesItAllTheWeight) {
  // g2 = (1, 1) projects onto itself: g1 = (2, 2) is longer along the same line.
  const auto alpha = min_norm_weights(torch::tensor({{2.0, 2.0}, {1.0, 1.0}}, torch::kFloat64));
  EXPECT_NEAR(alpha[1].item<double>(), 1.0, 1e-12);
}

TEST(Mgda, FrankWolfeFindsTheMinNormPointForThreeTasks) {
  // Three unit vectors at 120 degrees: the origin is in their hull, reached at alpha = 1/3 each.
  const double s = std::sqrt(3.0) / 2;
  const auto g = torch::tensor({{1.0, 0.0}, {-0.5, s}, {-0.5, -s}}, torch::kFloat64);
  const auto alpha = min_norm_weights(g, 2000);
  EXPECT_NEAR(alpha.sum().item<double>(), 1.0, 1e-9);
  EXPECT_LT(torch::matmul(alpha, g).norm().item<double>(), 1e-2);
}

}  // namespace
}  // namespace graft
