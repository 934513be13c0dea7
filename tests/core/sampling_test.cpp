#include "core/sampling.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace graft {
namespace {

TEST(ShuffledSampler, EachEpochIsAPermutationOfItsOwn) {
  ShuffledSampler sampler(50, 3);
  const auto first = sampler.epoch_order(0), second = sampler.epoch_order(1);
  EXPECT_TRUE(torch::equal(std::get<0>(first.sort()), torch::arange(50, torch::kInt64)));
  EXPECT_FALSE(torch::equal(first, second));
  EXPECT_TRUE(torch::equal(first, ShuffledSampler(50, 3).epoch_order(0)));
}

TEST(BalancedSampler, DrawsRareGroupsAsOftenAsCommonOnes) {
  // 900 examples of class 0, 100 of class 2 (class 1 absent).
  auto labels = torch::zeros({1000}, torch::kInt64);
  labels.slice(0, 900).fill_(2);
  BalancedSampler sampler(labels, 0);
  for (std::int64_t epoch = 0; epoch < 5; ++epoch) {
    const auto order = sampler.epoch_order(epoch);
    ASSERT_EQ(order.size(0), 1000);
    const double rare = labels.index_select(0, order).eq(2).to(torch::kFloat64).mean().item<double>();
    // Binomial(1000, 1/2): sd 0.016.
    EXPECT_GT(rare, 0.42);
    EXPECT_LT(rare, 0.58);
  }
  EXPECT_TRUE(torch::equal(sampler.epoch_order(1), BalancedSampler(labels, 0).epoch_order(1)));
}

TEST(MakeSampler, NamesTheChoicesAndNeedsLabelsForBalance) {
  EXPECT_THROW(make_sampler("balanced", 10, {}, 0), Error);
  EXPECT_THROW(make_sampler("class_balanced", 10, {}, 0), Error);
  EXPECT_THROW(make_sampler("domain_balanced", 10, {{"label", torch::zeros({10}, torch::kInt64)}}, 0), Error);
  EXPECT_NE(make_sampler("domain_balanced", 10, {{"domain", torch::zeros({10}, torch::kInt64)}}, 0), nullptr);
  EXPECT_NE(make_sampler("shuffled", 10, {}, 0), nullptr);
}

}  // namespace
}  // namespace graft
