#include "methods/domain_adaptation/dan.h"

#include <cmath>

#include <gtest/gtest.h>

#include "tests/methods/method_test_util.h"

namespace graft {
namespace {

TEST(Dan, MkMmdMatchesAHandComputedCase) {
  // s = {0}, t = {1}: squared distances [[0,1],[1,0]], sigma = 2/2 = 1;
  // bandwidths 1 * 2^(u-2) = 1/4, 1/2, 1, 2, 4.
  // MMD^2 = k(s,s) + k(t,t) - 2 k(s,t) = 5 + 5 - 2 sum_u exp(-1 / bw_u).
  const double kst = std::exp(-4.0) + std::exp(-2.0) + std::exp(-1.0) + std::exp(-0.5) + std::exp(-0.25);
  const auto mmd = mk_mmd(torch::tensor({{0.0}}, torch::kFloat64), torch::tensor({{1.0}}, torch::kFloat64));
  EXPECT_NEAR(mmd.item<double>(), 10.0 - 2.0 * kst, 1e-12);
}

TEST(Dan, ZeroForIdenticalBatchesPositiveOtherwise) {
  torch::manual_seed(0);
  const auto x = torch::randn({8, 4}, torch::kFloat64);
  EXPECT_NEAR(mk_mmd(x, x).item<double>(), 0.0, 1e-12);
  EXPECT_GT(mk_mmd(x, x + 1.0).item<double>(), 0.01);
}

// Collapsed features (all rows equal, as dead ReLUs give) must not turn the
// loss or its gradient into NaN: a Fashion-MNIST run diverged that way.
TEST(Dan, CoincidingFeaturesGiveAFiniteLossAndGradient) {
  const auto source = torch::zeros({4, 3}, torch::TensorOptions(torch::kFloat64).requires_grad(true));
  const auto target = torch::zeros({4, 3}, torch::TensorOptions(torch::kFloat64).requires_grad(true));
  const auto mmd = mk_mmd(source, target);
  mmd.backward();
  EXPECT_EQ(mmd.item<double>(), 0.0);
  EXPECT_TRUE(torch::isfinite(source.grad()).all().item<bool>());
  EXPECT_TRUE(torch::isfinite(target.grad()).all().item<bool>());
}

TEST(Dan, WeightRampsUpOverTheRealSteps) {
  DanOptions options;
  options.weight = 0.5;
  EXPECT_DOUBLE_EQ(Dan(options).weight_at(0.0), 0.0);
  EXPECT_NEAR(Dan(options).weight_at(1.0), 0.5 * 0.9999092, 1e-7);
  options.weight_schedule = "constant";
  EXPECT_DOUBLE_EQ(Dan(options).weight_at(0.0), 0.5);
}

// As for CORAL: DAN must shrink what it targets, the MMD between source and
// target features, measurably below training without it. Measured over
// seeds 0-9 under ATEN_CPU_CAPABILITY avx512 (Intel Xeon), the ratio of the
// two (last 100 steps) was 0.42-0.83, mean 0.61 ± 0.13: one seed once
// claimed "below 0.7" and seed 1 (0.73) would have failed it. The claim is
// the mean over five seeds below 0.8, about three standard errors (0.06)
// above the measured mean.
TEST(DanOutcome, ShrinksTheDiscrepancyBelowSourceOnly) {
  std::vector<double> ratios;
  for (std::int64_t seed : testing::outcome_seeds({0, 1, 2, 3, 4})) {
    const RunRecord aligned = testing::train_small(testing::kRotatedMoons, "{name: dan, weight: 1}", seed, {"log_every=1"});
    const RunRecord plain = testing::train_small(testing::kRotatedMoons, "{name: dan, weight: 0}", seed, {"log_every=1"});
    const double ratio = testing::tail_mean(aligned.train, "loss.mmd") / testing::tail_mean(plain.train, "loss.mmd");
    testing::print_outcome(seed, {{"mmd_ratio", ratio}});
    ratios.push_back(ratio);
  }
  EXPECT_LT(testing::mean_of(ratios), 0.8);
}

}  // namespace
}  // namespace graft
