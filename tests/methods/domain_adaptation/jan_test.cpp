#include "methods/domain_adaptation/jan.h"

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "methods/domain_adaptation/dan.h"  // mk_mmd: the feature-only discrepancy JAN extends
#include "tests/methods/method_test_util.h"

namespace graft {
namespace {

TEST(Jan, JmmdMatchesAHandComputedCase) {
  // Source features {0, 2} with predictions (1, 0), (1, 0); target feature {1}
  // with prediction (0, 1). Joint batch [0, 2, 1]: squared distances 4 (0-2),
  // 1 (0-1), 1 (2-1); their mean over all 9 pairs, diagonal included, is
  // beta = 2 (4 + 1 + 1) / 9 = 4/3, so the bandwidths beta 2^(u-2) are
  // 1/3, 2/3, 4/3, 8/3, 16/3 and
  //   k1(0) = 5, k1(4) = e^-12 + e^-6 + e^-3 + e^-1.5 + e^-0.75,
  //   k1(1) = e^-3 + e^-1.5 + e^-0.75 + e^-0.375 + e^-0.1875;
  //   k2 = 1 between equal predictions, g = exp(-2 / (2 * 0.92^2)) between (1, 0) and (0, 1).
  //   E_ss = (5 + 5 + 2 k1(4)) / 4, E_tt = 5, E_st = k1(1) g
  //   JMMD^2 = (10 + 2 k1(4)) / 4 + 5 - 2 k1(1) g = 6.48604765676...
  const double k4 = std::exp(-12.0) + std::exp(-6.0) + std::exp(-3.0) + std::exp(-1.5) + std::exp(-0.75);
  const double k1 = std::exp(-3.0) + std::exp(-1.5) + std::exp(-0.75) + std::exp(-0.375) + std::exp(-0.1875);
  const double g = std::exp(-2.0 / (2.0 * 0.92 * 0.92));
  const double expected = (10.0 + 2.0 * k4) / 4.0 + 5.0 - 2.0 * k1 * g;
  const auto loss = jmmd(torch::tensor({{0.0}, {2.0}}, torch::kFloat64),
                         torch::tensor({{1.0, 0.0}, {1.0, 0.0}}, torch::kFloat64),
                         torch::tensor({{1.0}}, torch::kFloat64), torch::tensor({{0.0, 1.0}}, torch::kFloat64));
  EXPECT_NEAR(loss.item<double>(), expected, 1e-12);
}

TEST(Jan, ZeroForIdenticalBatchesPositiveOtherwise) {
  torch::manual_seed(0);
  const auto f = torch::randn({8, 4}, torch::kFloat64);
  const auto p = torch::softmax(torch::randn({8, 3}, torch::kFloat64), 1);
  EXPECT_NEAR(jmmd(f, p, f, p).item<double>(), 0.0, 1e-12);
  EXPECT_GT(jmmd(f, p, f + 1.0, p).item<double>(), 0.01);
}

// What the joint adds to DAN: the same features in both domains, but with the
// classes swapped. The feature MMD sees no shift; the joint MMD does: 0.47 for
// this seed in a PyTorch copy of the formula, 0.33-0.79 over seeds 0-5.
TEST(Jan, SeesAShiftInTheJointThatTheFeatureMmdMisses) {
  torch::manual_seed(0);
  const auto f = torch::randn({8, 4}, torch::kFloat64);
  const auto rows = torch::arange(8);
  const auto source = torch::one_hot(rows.remainder(2), 2).to(torch::kFloat64);
  const auto target = torch::one_hot((rows + 1).remainder(2), 2).to(torch::kFloat64);
  EXPECT_NEAR(mk_mmd(f, f).item<double>(), 0.0, 1e-12);
  EXPECT_GT(jmmd(f, source, f, target).item<double>(), 0.1);
}

TEST(Jan, GradientMatchesFiniteDifferences) {
  // With the feature bandwidth fixed, JMMD is a smooth function of all four
  // inputs (the adaptive bandwidth has no gradient: see the next test).
  torch::manual_seed(0);
  std::vector<torch::Tensor> inputs{torch::randn({5, 3}, torch::kFloat64),
                                    torch::softmax(torch::randn({5, 2}, torch::kFloat64), 1),
                                    torch::randn({4, 3}, torch::kFloat64) + 0.5,
                                    torch::softmax(torch::randn({4, 2}, torch::kFloat64), 1)};
  for (auto& x : inputs) x.requires_grad_(true);
  JmmdKernels kernels;
  kernels.feature_bandwidth = 3.0;
  const auto value = [&](const std::vector<torch::Tensor>& x) {
    return jmmd(x[0], x[1], x[2], x[3], kernels);
  };
  value(inputs).backward();
  const double h = 1e-6;
  for (std::size_t a = 0; a < inputs.size(); ++a) {
    for (std::int64_t i = 0; i < inputs[a].numel(); ++i) {
      std::vector<torch::Tensor> plus, minus;
      for (const auto& x : inputs) {
        plus.push_back(x.detach().clone());
        minus.push_back(x.detach().clone());
      }
      plus[a].view(-1)[i] += h;
      minus[a].view(-1)[i] -= h;
      const double numeric = (value(plus) - value(minus)).item<double>() / (2 * h);
      EXPECT_NEAR(inputs[a].grad().view(-1)[i].item<double>(), numeric, 1e-8) << "input " << a << " element " << i;
    }
  }
}

TEST(Jan, NoGradientThroughTheAdaptiveBandwidth) {
  // beta is the batch's mean squared distance taken without gradient, as
  // TLlib's GaussianKernel takes it: the gradient equals that of the same
  // loss with beta fixed at that value.
  torch::manual_seed(1);
  const auto ps = torch::softmax(torch::randn({5, 2}, torch::kFloat64), 1);
  const auto pt = torch::softmax(torch::randn({4, 2}, torch::kFloat64), 1);
  auto fs = torch::randn({5, 3}, torch::kFloat64).requires_grad_(true);
  auto ft = (torch::randn({4, 3}, torch::kFloat64) + 0.5).requires_grad_(true);
  const auto adaptive = jmmd(fs, ps, ft, pt);
  adaptive.backward();

  const auto joint = torch::cat({fs, ft}).detach();
  JmmdKernels fixed;
  fixed.feature_bandwidth = (joint.unsqueeze(0) - joint.unsqueeze(1)).pow(2).sum(2).mean().item<double>();
  auto fs_fixed = fs.detach().clone().requires_grad_(true), ft_fixed = ft.detach().clone().requires_grad_(true);
  const auto held = jmmd(fs_fixed, ps, ft_fixed, pt, fixed);
  held.backward();
  EXPECT_NEAR(adaptive.item<double>(), held.item<double>(), 1e-12);
  EXPECT_TRUE(torch::allclose(fs.grad(), fs_fixed.grad(), 1e-10, 1e-12));
  EXPECT_TRUE(torch::allclose(ft.grad(), ft_fixed.grad(), 1e-10, 1e-12));
}

// Collapsed features (all rows equal, as dead ReLUs give) must not turn the
// loss or its gradient into NaN, as for DAN.
TEST(Jan, CoincidingFeaturesGiveAFiniteLossAndGradient) {
  const auto options = torch::TensorOptions(torch::kFloat64).requires_grad(true);
  const auto fs = torch::zeros({4, 3}, options), ft = torch::zeros({4, 3}, options);
  const auto p = torch::full({4, 2}, 0.5, torch::kFloat64);
  const auto loss = jmmd(fs, p, ft, p);
  loss.backward();
  EXPECT_EQ(loss.item<double>(), 0.0);
  EXPECT_TRUE(torch::isfinite(fs.grad()).all().item<bool>());
  EXPECT_TRUE(torch::isfinite(ft.grad()).all().item<bool>());
}

TEST(Jan, RejectsPredictionsThatDoNotMatchTheFeatures) {
  const auto f = torch::zeros({4, 3}, torch::kFloat64);
  try {
    jmmd(f, torch::zeros({3, 2}, torch::kFloat64), f, torch::zeros({4, 2}, torch::kFloat64));
    FAIL() << "3 prediction rows were accepted for 4 feature rows";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("jmmd: expected one prediction row"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[3, 2]"), std::string::npos) << e.what();
  }
}

TEST(Jan, WeightRampsUpOverTheRealSteps) {
  JanOptions options;
  options.weight = 0.5;
  EXPECT_DOUBLE_EQ(Jan(options).weight_at(0.0), 0.0);
  EXPECT_NEAR(Jan(options).weight_at(1.0), 0.5 * 0.9999092, 1e-7);
  options.weight_schedule = "constant";
  EXPECT_DOUBLE_EQ(Jan(options).weight_at(0.0), 0.5);
}

// JAN must shrink what it targets, the joint MMD of features and predictions
// between source and target, well below training without it (weight 0 is
// source only with the JMMD logged but not trained on). Measured as the
// ratio of loss.jmmd over the last 100 steps, the mean over five seeds; the
// target accuracies are printed for the measurement, not claimed.
// Measured over seeds 0-9 under ATEN_CPU_CAPABILITY default, avx2 and avx512
// (Intel Xeon, 2026-12): the ratio was 0.36-0.55, mean 0.46 (sd 0.05); the
// mean over five seeds below 0.7 is over ten standard errors away.
constexpr double kJanMaxJmmdRatio = 0.7;

TEST(JanOutcome, ShrinksTheJointDiscrepancyBelowSourceOnly) {
  std::vector<double> ratios;
  for (std::int64_t seed : testing::outcome_seeds({0, 1, 2, 3, 4})) {
    const RunRecord jan = testing::train_small(testing::kRotatedMoons, "{name: jan, weight: 1}", seed, {"log_every=1"});
    const RunRecord plain =
        testing::train_small(testing::kRotatedMoons, "{name: jan, weight: 0}", seed, {"log_every=1"});
    const double ratio = testing::tail_mean(jan.train, "loss.jmmd") / testing::tail_mean(plain.train, "loss.jmmd");
    testing::print_outcome(seed, {{"jmmd_ratio", ratio},
                                  {"jan.target_acc", jan.final_metrics.at("target.test_acc")},
                                  {"source_only.target_acc", plain.final_metrics.at("target.test_acc")}});
    ratios.push_back(ratio);
  }
  EXPECT_LT(testing::mean_of(ratios), kJanMaxJmmdRatio);
}

}  // namespace
}  // namespace graft
