#include "core/feature_analysis.h"

#include <cmath>

#include <gtest/gtest.h>

#include "core/error.h"

namespace graft {
namespace {

torch::Tensor gaussian_sample(std::int64_t n, std::int64_t d, double shift, std::uint64_t seed) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  return torch::randn({n, d}, generator, torch::kFloat64) + shift;
}

// Two samples of one distribution: the classifier is at chance, eps ~ 1/2,
// d_A ~ 0 (the test quarter has 250 examples: eps's std is ~0.03, so
// d_A = 2(1 - 2 eps) stays below 0.4 with a wide margin).
TEST(ProxyADistance, IsNearZeroForOneDistributionAndTwoForSeparatedOnes) {
  const auto same = proxy_a_distance(gaussian_sample(500, 16, 0.0, 1), gaussian_sample(500, 16, 0.0, 2));
  EXPECT_LT(same.distance, 0.4);
  EXPECT_GT(same.error, 0.35);
  EXPECT_EQ(same.per_sample, 500);
  // Shifted by 3 along every axis: linearly separable.
  const auto apart = proxy_a_distance(gaussian_sample(500, 16, 0.0, 1), gaussian_sample(400, 16, 3.0, 2));
  EXPECT_NEAR(apart.distance, 2.0, 1e-9);
  EXPECT_EQ(apart.per_sample, 400);
}

// A shift along one axis of 1 std: the best linear rule errs with
// probability Phi(-1/2) = 0.3085, so d_A = 2 (1 - 2 * 0.3085) = 0.766.
TEST(ProxyADistance, MatchesTheBayesErrorOfAKnownShift) {
  auto b = gaussian_sample(4000, 2, 0.0, 4);
  b.select(1, 0).add_(1.0);
  const auto d = proxy_a_distance(gaussian_sample(4000, 2, 0.0, 3), b);
  EXPECT_NEAR(d.error, 0.3085, 0.03);
  EXPECT_NEAR(d.distance, 0.766, 0.12);
}

TEST(ProxyADistance, RejectsSamplesOfDifferentWidths) {
  EXPECT_THROW(proxy_a_distance(torch::zeros({10, 3}), torch::zeros({10, 4})), Error);
  EXPECT_THROW(proxy_a_distance(torch::zeros({4, 3}), torch::zeros({10, 3})), Error);
}

// Each row's Gaussian width is found so that its perplexity 2^H (here
// e^H, H in nats) is the one asked for (van der Maaten & Hinton, eq. 1 and sec. 2).
TEST(Tsne, EveryRowHasThePerplexityAskedFor) {
  const auto x = gaussian_sample(60, 5, 0.0, 5);
  const auto p = conditional_affinities(torch::cdist(x, x).pow(2), 10.0);
  EXPECT_TRUE(torch::allclose(p.sum(1), torch::ones({60}, torch::kFloat64), 1e-9, 1e-12));
  EXPECT_TRUE(torch::allclose(p.diagonal(), torch::zeros({60}, torch::kFloat64)));
  const auto entropy = -(p * torch::log(p.clamp_min(1e-300))).sum(1);
  EXPECT_TRUE(torch::allclose(torch::exp(entropy), torch::full({60}, 10.0, torch::kFloat64), 1e-4, 1e-4))
      << torch::exp(entropy);
}

// Three clusters in 20-D, far apart: in the embedding every point's nearest
// neighbour is of its own cluster, and the clusters do not overlap.
TEST(Tsne, KeepsSeparatedClustersApart) {
  std::vector<torch::Tensor> parts;
  for (int c = 0; c < 3; ++c) {
    auto part = gaussian_sample(50, 20, 0.0, 10 + c);
    part.select(1, c).add_(10.0);
    parts.push_back(part);
  }
  const auto labels = torch::arange(3, torch::kInt64).repeat_interleave(50);
  TsneOptions options;
  options.perplexity = 15;
  options.iterations = 500;
  const auto y = tsne(torch::cat(parts), options);
  ASSERT_EQ(y.sizes(), (std::vector<std::int64_t>{150, 2}));
  EXPECT_TRUE(torch::isfinite(y).all().item<bool>());
  auto distances = torch::cdist(y, y);
  distances.fill_diagonal_(std::numeric_limits<double>::infinity());
  const auto nearest = distances.argmin(1);
  EXPECT_TRUE(torch::equal(labels.index_select(0, nearest), labels));
  // Deterministic: PCA start, no random draws.
  EXPECT_TRUE(torch::equal(tsne(torch::cat(parts), options), y));
}

}  // namespace
}  // namespace graft
