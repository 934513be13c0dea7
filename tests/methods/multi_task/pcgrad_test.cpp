#include "methods/multi_task/pcgrad.h"

#include <gtest/gtest.h>

namespace graft {
namespace {

TEST(PcGrad, ProjectsConflictingGradientsOntoEachOthersNormalPlane) {
  // g1 = (1, 0), g2 = (-1, 1): g1 . g2 = -1 < 0.
  // g1' = g1 - (-1/2) g2 = (0.5, 0.5);  g2' = g2 - (-1/1) g1 = (0, 1).
  const auto g = torch::tensor({{1.0, 0.0}, {-1.0, 1.0}}, torch::kFloat64);
  const auto sum = pcgrad_combine(g, {{0, 1}, {1, 0}});
  EXPECT_TRUE(torch::allclose(sum, torch::tensor({0.5, 1.5}, torch::kFloat64)));
  // Neither projected gradient conflicts with the other task's original one.
  EXPECT_GE(torch::dot(torch::tensor({0.5, 0.5}, torch::kFloat64), g[1]).item<double>(), -1e-12);
}

TEST(PcGrad, LeavesAgreeingGradientsAlone) {
  const auto g = torch::tensor({{1.0, 0.5}, {0.5, 1.0}}, torch::kFloat64);
  EXPECT_TRUE(torch::allclose(pcgrad_combine(g, {{0, 1}, {1, 0}}), g.sum(0)));
}

}  // namespace
}  // namespace graft
