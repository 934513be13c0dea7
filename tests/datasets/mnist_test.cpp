#include "datasets/mnist.h"

#include <gtest/gtest.h>

#include "tests/datasets/dataset_util.h"

namespace graft {
namespace {

TEST(Mnist, FixedSplitsOfTheTenThousandDigits) {
  const auto d = testing::make_dataset("{name: mnist}");
  EXPECT_EQ(d->split("train").size(), 8000);
  EXPECT_EQ(d->split("val").size(), 1000);
  EXPECT_EQ(d->split("test").size(), 1000);
  EXPECT_EQ(d->input_shape, (std::vector<std::int64_t>{1, 28, 28}));
  // The same split whatever the run's seed.
  EXPECT_TRUE(torch::equal(d->split("test").targets.at("label"),
                           testing::make_dataset("{name: mnist}", 7)->split("test").targets.at("label")));
  ASSERT_EQ(d->mean.size(), 1u);
  EXPECT_NEAR(d->mean[0], 0.13, 0.02);  // MNIST's well-known mean intensity
}

TEST(Mnist, ChannelsSizeAndLabelBudget) {
  const auto d = testing::make_dataset("{name: mnist, channels: 3, size: 32, train_fraction: 0.01}");
  EXPECT_EQ(d->input_shape, (std::vector<std::int64_t>{3, 32, 32}));
  const auto labels = d->split("train").targets.at("label");
  EXPECT_NEAR(labels.size(0), 80, 10);
  EXPECT_EQ(labels.bincount().size(0), 10);
  EXPECT_GT(labels.bincount().min().item<std::int64_t>(), 0);  // every class kept
  EXPECT_EQ(d->split("test").size(), 1000);                     // evaluation untouched
}

}  // namespace
}  // namespace graft
