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

TEST(Cdan, BeatsSourceOnlyOnRotatedMoons) {
  for (const char* method : {"{name: cdan}", "{name: cdan, entropy: true}"}) {
    const double source_only =
        testing::train_small(testing::kRotatedMoons, "{name: source_only}").final_metrics.at("target.test_acc");
    const double cdan = testing::train_small(testing::kRotatedMoons, method).final_metrics.at("target.test_acc");
    EXPECT_GT(cdan, source_only + 0.05) << method << ": " << cdan << " vs " << source_only;
  }
}

TEST(Cdan, RandomizedMapWhenTheOuterProductIsLarge) {
  const RunRecord r = testing::train_small(testing::kRotatedMoons, "{name: cdan, random_dim: 8}", 0, {"steps=50"});
  EXPECT_EQ(r.status, "finished");
}

}  // namespace
}  // namespace graft
