#include "methods/fine_tuning/l2_sp.h"

#include <gtest/gtest.h>

namespace graft {
namespace {

TEST(L2Sp, PenaltyAndGradientByHand) {
  // alpha/2 ||w - w0||^2 + beta/2 ||h||^2 with w = (1, 2), w0 = (0, 0), h = (3): 0.5*0.1*5 + 0.5*0.2*9 = 1.15.
  auto w = torch::tensor({1.0, 2.0}, torch::kFloat64).requires_grad_(true);
  auto h = torch::tensor({3.0}, torch::kFloat64).requires_grad_(true);
  const auto penalty = l2_sp_penalty({w}, {torch::zeros({2}, torch::kFloat64)}, {h}, 0.1, 0.2);
  EXPECT_NEAR(penalty.item<double>(), 1.15, 1e-12);
  penalty.backward();
  EXPECT_TRUE(torch::allclose(w.grad(), torch::tensor({0.1, 0.2}, torch::kFloat64)));  // alpha (w - w0)
  EXPECT_TRUE(torch::allclose(h.grad(), torch::tensor({0.6}, torch::kFloat64)));       // beta h
}

}  // namespace
}  // namespace graft
