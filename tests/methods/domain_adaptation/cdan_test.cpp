#include "methods/domain_adaptation/cdan.h"

#include <cmath>

#include <gtest/gtest.h>

#include "tests/methods/method_test_util.h"

namespace graft {
namespace {

TEST(Cdan, MultilinearMapIsTheOuterProduct) {
  const auto f = torch::tensor({{1.0, 2.0}});
  const auto g = torch::tensor({{0.25, 0.75}});
  // rows of g (x) f: g_0 * f, g_1 * f
  EXPECT_TRUE(torch::allclose(multilinear_map(f, g), torch::tensor({{0.25, 0.5, 0.75, 1.5}})));
}

TEST(Cdan, EntropyWeightsFavourConfidentPredictions) {
  const auto p = torch::tensor({{0.5, 0.5}, {1.0, 0.0}});
  const auto w = entropy_weights(p);
  // 1 + exp(-ln 2) = 1.5 and 1 + exp(0) = 2, normalised to mean 1.
  EXPECT_NEAR(w[0].item<double>(), 1.5 / 1.75, 1e-6);
  EXPECT_NEAR(w[1].item<double>(), 2.0 / 1.75, 1e-6);
}

// As DANN's claim (dann_test.cpp), measured over seeds 0-9 under avx2 and
// default: CDAN's target accuracy was 0.83 ± 0.05 (avx2) and 0.83 ± 0.10
// (default), CDAN+E's 0.84 ± 0.06 and 0.81 ± 0.07, source only's 0.70 ±
// 0.03; the mean gain 0.11-0.14, a single seed's from -0.09 to 0.27. The
// claim is the weaker one that holds robustly: a mean gain above 0.04 over
// ten seeds (the lowest measured mean, 0.109, is ~2.7 standard errors above).
// Under avx512 on an Intel Xeon: mean gains 0.124 (CDAN) and 0.109 (CDAN+E).
TEST(CdanOutcome, BeatsSourceOnlyOnRotatedMoons) {
  std::vector<double> gains, entropy_gains;
  for (std::int64_t seed : testing::outcome_seeds({0, 1, 2, 3, 4, 5, 6, 7, 8, 9})) {
    auto target_acc = [&](const std::string& method) {
      return testing::train_small(testing::kRotatedMoons, method, seed).final_metrics.at("target.test_acc");
    };
    const double source_only = target_acc("{name: source_only}");
    const double cdan = target_acc("{name: cdan}"), cdan_e = target_acc("{name: cdan, entropy: true}");
    testing::print_outcome(seed, {{"cdan", cdan}, {"cdan_e", cdan_e}, {"source_only", source_only}});
    gains.push_back(cdan - source_only);
    entropy_gains.push_back(cdan_e - source_only);
  }
  EXPECT_GT(testing::mean_of(gains), 0.04) << "cdan";
  EXPECT_GT(testing::mean_of(entropy_gains), 0.04) << "cdan+E";
}

TEST(Cdan, RandomizedMapWhenTheOuterProductIsLarge) {
  const RunRecord r = testing::train_small(testing::kRotatedMoons, "{name: cdan, random_dim: 8}", 0, {"steps=50"});
  EXPECT_EQ(r.status, "finished");
}

}  // namespace
}  // namespace graft
