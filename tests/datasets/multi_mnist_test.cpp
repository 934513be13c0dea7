#include "datasets/multi_mnist.h"

#include <gtest/gtest.h>

#include "tests/datasets/dataset_util.h"

namespace graft {
namespace {

TEST(MultiMnist, OverlayPlacesItemsTopLeftAndBottomRight) {
  auto first = torch::zeros({1, 1, 28, 28}, torch::kUInt8);
  auto second = torch::zeros({1, 1, 28, 28}, torch::kUInt8);
  first[0][0][0][0] = 255;    // top-left pixel of the first item
  second[0][0][27][27] = 255; // bottom-right pixel of the second
  const auto out = overlay_pairs(first, second, 36, 8);
  EXPECT_EQ(out.sizes(), (std::vector<std::int64_t>{1, 1, 28, 28}));
  EXPECT_GT(out[0][0][0][0].item<int>(), 0);
  EXPECT_GT(out[0][0][27][27].item<int>(), 0);
  EXPECT_EQ(out[0][0][14][14].item<int>(), 0);
}

TEST(MultiMnist, TwoTasksLeftAndRight) {
  const auto d = testing::make_dataset("{name: multi_mnist}");
  const auto& train = d->split("train");
  EXPECT_EQ(train.size(), 8000);
  EXPECT_EQ(train.targets.at("left").size(0), 8000);
  EXPECT_FALSE(torch::equal(train.targets.at("left"), train.targets.at("right")));
  EXPECT_EQ(d->input_shape, (std::vector<std::int64_t>{1, 28, 28}));
}

}  // namespace
}  // namespace graft
