#include "methods/domain_adaptation/gradient_reversal.h"

#include <cmath>

#include <gtest/gtest.h>

namespace graft {
namespace {

// f(x) = sum(sin(x) * w): a non-linear function of the layer's output.
torch::Tensor f(const torch::Tensor& x, const torch::Tensor& w) { return (torch::sin(x) * w).sum(); }

TEST(GradientReversal, ForwardIsIdentity) {
  torch::manual_seed(0);
  const auto x = torch::randn({4, 3});
  EXPECT_TRUE(torch::equal(gradient_reversal(x, 0.7), x));
}

TEST(GradientReversal, GradientIsMinusLambdaTimesFiniteDifferences) {
  torch::manual_seed(0);
  const auto x0 = torch::randn({3, 2}, torch::kFloat64);
  const auto w = torch::randn({3, 2}, torch::kFloat64);
  for (double lambda : {0.0, 0.5, 2.0}) {
    auto x = x0.clone().requires_grad_(true);
    f(gradient_reversal(x, lambda), w).backward();
    // Central differences of f itself (the layer is the identity forward).
    const double h = 1e-6;
    auto numeric = torch::zeros_like(x0);
    for (int64_t i = 0; i < x0.numel(); ++i) {
      auto plus = x0.clone(), minus = x0.clone();
      plus.view(-1)[i] += h;
      minus.view(-1)[i] -= h;
      numeric.view(-1)[i] = (f(plus, w) - f(minus, w)) / (2 * h);
    }
    EXPECT_TRUE(torch::allclose(x.grad(), -lambda * numeric, 1e-6, 1e-8)) << "lambda " << lambda;
  }
}

TEST(GradientReversal, LambdaScheduleAtKnownPoints) {
  // lambda_p = 2 / (1 + exp(-10 p)) - 1 (Ganin et al. 2016, sec. 5.2.2).
  EXPECT_DOUBLE_EQ(dann_lambda(0.0, 10.0), 0.0);
  EXPECT_NEAR(dann_lambda(0.5, 10.0), 2.0 / (1.0 + std::exp(-5.0)) - 1.0, 1e-15);
  EXPECT_NEAR(dann_lambda(1.0, 10.0), 0.9999092, 1e-7);
  EXPECT_NEAR(dann_lambda(1.0, 10.0, 0.5), 0.4999546, 1e-7);
}

}  // namespace
}  // namespace graft
