#include "methods/domain_adaptation/bsp.h"

#include <functional>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/registries.h"
#include "tests/methods/method_test_util.h"

namespace graft {
namespace {

TEST(Bsp, PenaltyMatchesAHandComputedSquareCase) {
  // A = [[2, 1], [1, 2]] is symmetric positive definite: its singular values
  // are its eigenvalues, 3 (u = v = (1, 1)/sqrt 2) and 1 (u = v = (1, -1)/sqrt 2).
  //   k = 1: sigma_1^2 = 9;  k = 2: 9 + 1 = 10 = ||A||_F^2 = 4 + 1 + 1 + 4.
  // d sigma_1^2 / dA = 2 sigma_1 u_1 v_1^T = 2 * 3 * [[0.5, 0.5], [0.5, 0.5]] = [[3, 3], [3, 3]];
  // d ||A||_F^2 / dA = 2 A = [[4, 2], [2, 4]].
  const auto a = torch::tensor({{2.0, 1.0}, {1.0, 2.0}}, torch::kFloat64);
  auto x = a.clone().requires_grad_(true);
  const auto top = bsp_penalty(x, 1);
  EXPECT_NEAR(top.item<double>(), 9.0, 1e-12);
  top.backward();
  EXPECT_NEAR((x.grad() - torch::full({2, 2}, 3.0, torch::kFloat64)).abs().max().item<double>(), 0.0, 1e-12)
      << x.grad();
  auto y = a.clone().requires_grad_(true);
  const auto both = bsp_penalty(y, 2);
  EXPECT_NEAR(both.item<double>(), 10.0, 1e-12);
  both.backward();
  EXPECT_NEAR((y.grad() - 2.0 * a).abs().max().item<double>(), 0.0, 1e-12) << y.grad();
}

TEST(Bsp, PenalisesTheLargestNotTheFirstSingularValue) {
  // F = [[3, 0], [0, 4], [0, 0]]: singular values 4 (u = e_2, v = e_2) and 3.
  //   k = 1: 4^2 = 16, gradient 2 * 4 * e_2 e_2^T = 8 at (1, 1), 0 elsewhere.
  auto f = torch::tensor({{3.0, 0.0}, {0.0, 4.0}, {0.0, 0.0}}, torch::kFloat64).requires_grad_(true);
  const auto sigma = largest_singular_values(f.detach(), 2);
  EXPECT_NEAR(sigma[0].item<double>(), 4.0, 1e-12);
  EXPECT_NEAR(sigma[1].item<double>(), 3.0, 1e-12);
  const auto penalty = bsp_penalty(f, 1);
  EXPECT_NEAR(penalty.item<double>(), 16.0, 1e-12);
  penalty.backward();
  const auto expected = torch::tensor({{0.0, 0.0}, {0.0, 8.0}, {0.0, 0.0}}, torch::kFloat64);
  EXPECT_NEAR((f.grad() - expected).abs().max().item<double>(), 0.0, 1e-12) << f.grad();
}

// A random batch has distinct singular values, where each sigma_i is smooth.
TEST(Bsp, GradientMatchesFiniteDifferences) {
  torch::manual_seed(0);
  const auto f0 = torch::randn({6, 4}, torch::kFloat64);
  for (std::int64_t k : {1, 2, 4}) {
    auto f = f0.clone().requires_grad_(true);
    bsp_penalty(f, k).backward();
    const auto numeric = testing::numeric_gradient([k](const torch::Tensor& x) { return bsp_penalty(x, k); }, f0);
    EXPECT_TRUE(torch::allclose(f.grad(), numeric, 1e-6, 1e-8))
        << "k " << k << ": " << (f.grad() - numeric).abs().max().item<double>();
  }
}

TEST(Bsp, KBeyondTheSpectrumIsAClearError) {
  try {
    bsp_penalty(torch::zeros({2, 3}, torch::kFloat64), 3);
    FAIL() << "k = 3 on a 2x3 batch was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has 2 singular values"), std::string::npos) << e.what();
  }
}

TEST(Bsp, LambdaIsDannsSchedule) {
  BspOptions options;
  EXPECT_DOUBLE_EQ(Bsp(options).lambda_at(0.0), 0.0);
  EXPECT_NEAR(Bsp(options).lambda_at(1.0), Dann(DannOptions{}).lambda_at(1.0), 1e-15);
}

TEST(Bsp, IsRegistered) { EXPECT_TRUE(method_registry().contains("bsp")); }

// bsp_weight 0 must be DANN exactly, step for step (same initial weights,
// batches and gradients): the outcome test below rests on that when it uses
// it as plain DANN with the spectrum logged.
TEST(Bsp, ZeroWeightIsDannStepForStep) {
  const RunRecord dann = testing::train_small(testing::kRotatedMoons, "{name: dann}", 0, {"steps=100", "log_every=1"});
  const RunRecord bsp =
      testing::train_small(testing::kRotatedMoons, "{name: bsp, bsp_weight: 0}", 0, {"steps=100", "log_every=1"});
  for (const char* name : {"loss.task", "loss.domain", "domain_acc"})
    EXPECT_EQ(dann.train.columns.at(name), bsp.train.columns.at(name)) << name;
  EXPECT_EQ(dann.final_metrics.at("target.test_acc"), bsp.final_metrics.at("target.test_acc"));
  ASSERT_EQ(bsp.train.columns.count("sigma_max"), 1u);
  ASSERT_EQ(bsp.train.columns.count("loss.bsp"), 1u);
}

// What BSP is for: a smaller top of the feature spectrum than DANN's. Plain
// DANN is bsp_weight 0 (DANN exactly, see above) with the spectrum logged;
// the claim is on the ratio of sigma_max (the largest singular value of each
// domain's 64-row feature batch, averaged over the two domains and the last
// 100 steps), averaged over five seeds. kBspMethod uses the paper's beta;
// if the measured effect is small at this size, a larger bsp_weight (as
// DeepCoralOutcome raises its weight) is the knob, not a looser threshold.
constexpr const char* kBspMethod = "{name: bsp, bsp_weight: 0.0001}";
// Measured over seeds 0-9 under ATEN_CPU_CAPABILITY default, avx2 and avx512
// (Intel Xeon, 2026-12): the ratio was 0.20-0.36, mean 0.28 (sd 0.04): at
// the paper's beta the penalty shrinks the top singular value to about a
// quarter of DANN's on this problem. The mean over five seeds below 0.5 is
// over ten standard errors away.
constexpr double kBspMaxSigmaRatio = 0.5;

TEST(BspOutcome, ShrinksTheLargestSingularValueBelowDann) {
  std::vector<double> ratios;
  for (std::int64_t seed : testing::outcome_seeds({0, 1, 2, 3, 4})) {
    const RunRecord bsp = testing::train_small(testing::kRotatedMoons, kBspMethod, seed, {"log_every=1"});
    const RunRecord dann =
        testing::train_small(testing::kRotatedMoons, "{name: bsp, bsp_weight: 0}", seed, {"log_every=1"});
    const double bsp_sigma = testing::tail_mean(bsp.train, "sigma_max");
    const double dann_sigma = testing::tail_mean(dann.train, "sigma_max");
    // Target accuracies for the record, not claimed (DANN on this toy varies
    // by up to 0.3 between seeds; see DannOutcome).
    testing::print_outcome(seed, {{"sigma_ratio", bsp_sigma / dann_sigma},
                                  {"bsp_sigma_max", bsp_sigma},
                                  {"dann_sigma_max", dann_sigma},
                                  {"bsp.target.test_acc", bsp.final_metrics.at("target.test_acc")},
                                  {"dann.target.test_acc", dann.final_metrics.at("target.test_acc")}});
    ratios.push_back(bsp_sigma / dann_sigma);
  }
  EXPECT_LT(testing::mean_of(ratios), kBspMaxSigmaRatio);
}

}  // namespace
}  // namespace graft
