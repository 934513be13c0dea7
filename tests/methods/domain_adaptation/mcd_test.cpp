#include "methods/domain_adaptation/mcd.h"

#include <cmath>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/registries.h"
#include "tests/methods/method_test_util.h"

namespace graft {
namespace {

// d = mean over the batch and the K classes of |p1 - p2|:
// rows |0.7-0.2|, |0.3-0.8| and 0, 0 -> (0.5 + 0.5 + 0 + 0) / 4 = 0.25.
TEST(Mcd, DiscrepancyMatchesAHandComputedCase) {
  const auto p1 = torch::tensor({{0.7, 0.3}, {0.5, 0.5}}, torch::kFloat64);
  const auto p2 = torch::tensor({{0.2, 0.8}, {0.5, 0.5}}, torch::kFloat64);
  EXPECT_NEAR(classifier_discrepancy(p1, p2).item<double>(), 0.25, 1e-12);
  EXPECT_EQ(classifier_discrepancy(p1, p1).item<double>(), 0.0);
  // Entropy of (0.5, 0.5) is ln 2; of a one-hot row 0: mean ln 2 / 2.
  EXPECT_NEAR(mean_entropy(torch::tensor({{0.5, 0.5}, {1.0, 0.0}}, torch::kFloat64)).item<double>(), std::log(2.0) / 2,
              1e-12);
}

TEST(Mcd, DiscrepancyGradientMatchesFiniteDifferences) {
  torch::manual_seed(0);
  const auto p2 = torch::softmax(torch::randn({3, 4}, torch::kFloat64), 1);
  const auto logits = torch::randn({3, 4}, torch::kFloat64).requires_grad_(true);
  auto f = [&](const torch::Tensor& z) { return classifier_discrepancy(torch::softmax(z, 1), p2); };
  f(logits).backward();
  const auto numeric = testing::numeric_gradient(f, logits.detach());
  EXPECT_TRUE(torch::allclose(logits.grad(), numeric, 1e-6, 1e-8)) << logits.grad() << numeric;
}

TEST(Mcd, RejectsPredictionsOfDifferentShapes) {
  try {
    classifier_discrepancy(torch::ones({2, 3}), torch::ones({2, 4}));
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 3] and [2, 4]"), std::string::npos) << e.what();
  }
}

TEST(Mcd, IsRegisteredAndLogsItsThreePhases) {
  EXPECT_TRUE(method_registry().contains("mcd"));
  const RunRecord r = testing::train_small(testing::kRotatedMoons, "{name: mcd}", 0, {"steps=20", "log_every=1"});
  for (const char* column : {"loss.task", "loss.discrepancy", "loss.generator", "lr"})
    EXPECT_TRUE(r.train.columns.count(column)) << column;
}

// MCD's claim on the rotated moons: its target accuracy above source only's,
// with classifiers of one hidden layer (32) and two generator updates a step.
// With linear heads on the MLP's 15 features MCD stayed at source only's
// level (67.5 vs 69.0 over seeds 0-3); with num_k 4 it gained less and
// varied more (mean 0.05-0.08 by kernel path, seeds from -0.23 to 0.25).
// Measured over seeds 0-9 (Intel Xeon, 2026-12-03): the gain was 0.02-0.24
// under avx2 (mean 0.14; 0.13 over seeds 0-4), 0.02-0.20 under avx512
// (0.09; 0.07) and -0.19-0.25 under default (0.09; 0.16): the game is chaotic
// and each path's rounding takes it elsewhere, so the margin is set against
// all thirty values (mean 0.11, sd 0.09: a five-seed mean's standard error
// is 0.04, the margin 2.2 of them below).
constexpr double kMcdMinMeanGain = 0.02;

TEST(McdOutcome, BeatsSourceOnlyOnRotatedMoons) {
  std::vector<double> gains;
  for (std::int64_t seed : testing::outcome_seeds({0, 1, 2, 3, 4})) {
    const double source_only = testing::train_small(testing::kRotatedMoons, "{name: source_only}", seed, {"steps=3000"})
                                   .final_metrics.at("target.test_acc");
    const double mcd =
        testing::train_small(testing::kRotatedMoons, "{name: mcd, head_hidden: [32], num_k: 2}", seed, {"steps=3000"})
                           .final_metrics.at("target.test_acc");
    testing::print_outcome(seed, {{"mcd", mcd}, {"source_only", source_only}});
    gains.push_back(mcd - source_only);
  }
  EXPECT_GT(testing::mean_of(gains), kMcdMinMeanGain);
}

}  // namespace
}  // namespace graft
