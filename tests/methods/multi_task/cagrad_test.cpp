#include "methods/multi_task/cagrad.h"

#include <gtest/gtest.h>

namespace graft {
namespace {

TEST(CaGrad, ZeroRadiusIsTheMeanGradient) {
  const auto g = torch::tensor({{1.0, 0.0}, {-1.0, 2.0}}, torch::kFloat64);
  EXPECT_TRUE(torch::allclose(cagrad_direction(g, 0.0), g.mean(0)));
}

TEST(CaGrad, ImprovesTheWorstTaskOverTheMean) {
  // Strongly conflicting gradients: the mean direction hurts task 1
  // (negative inner product); CAGrad's direction decreases both losses.
  const auto g = torch::tensor({{1.0, 0.1}, {-0.6, 1.0}}, torch::kFloat64) ;
  const auto mean = g.mean(0);
  const auto d = cagrad_direction(g, 0.5);
  const double worst_mean = std::min(torch::dot(mean, g[0]).item<double>(), torch::dot(mean, g[1]).item<double>());
  const double worst_cagrad = std::min(torch::dot(d, g[0]).item<double>(), torch::dot(d, g[1]).item<double>());
  EXPECT_GT(worst_cagrad / d.norm().item<double>(), worst_mean / mean.norm().item<double>());
}

}  // namespace
}  // namespace graft
