#include "datasets/mnist_m.h"

#include <gtest/gtest.h>

#include "tests/datasets/dataset_util.h"

namespace graft {
namespace {

TEST(MnistM, BlendIsTheAbsoluteDifferenceWithAPhotoPatch) {
  const auto digit = torch::full({1, 1, 2, 2}, 200, torch::kUInt8);
  auto photo = torch::zeros({2, 2, 3}, torch::kUInt8);
  photo.select(2, 0).fill_(50);   // red 50
  photo.select(2, 2).fill_(255);  // blue 255
  auto g = at::make_generator<at::CPUGeneratorImpl>(0);
  const auto out = blend_over_photos(digit, {photo}, g);
  EXPECT_EQ(out[0][0][0][0].item<int>(), 150);  // |50 - 200|
  EXPECT_EQ(out[0][1][0][0].item<int>(), 200);  // |0 - 200|
  EXPECT_EQ(out[0][2][0][0].item<int>(), 55);   // |255 - 200|
}

TEST(MnistM, ColourImagesWithMnistsSplitsAndLabels) {
  const auto m = testing::make_dataset("{name: mnist_m}");
  const auto base = testing::make_dataset("{name: mnist}");
  EXPECT_EQ(m->input_shape, (std::vector<std::int64_t>{3, 28, 28}));
  EXPECT_TRUE(torch::equal(m->split("test").targets.at("label"), base->split("test").targets.at("label")));
  // Colour: the channels differ.
  const auto x = m->split("train").inputs.to(torch::kFloat32);
  EXPECT_GT((x.select(1, 0) - x.select(1, 2)).abs().mean().item<float>(), 5.0f);
  // Cached and deterministic: building again gives the same pixels.
  EXPECT_TRUE(torch::equal(m->split("val").inputs, testing::make_dataset("{name: mnist_m}")->split("val").inputs));
  EXPECT_FALSE(torch::equal(m->split("val").inputs,
                            testing::make_dataset("{name: mnist_m, recipe_seed: 1}")->split("val").inputs));
}

// The backgrounds are an option: the same digits and labels over other
// photos, each set cached under its own name.
TEST(MnistM, BackgroundsChooseThePhotos) {
  const auto ten = testing::make_dataset("{name: mnist_m, normalize: false}");
  const auto two = testing::make_dataset("{name: mnist_m, normalize: false, backgrounds: sklearn}");
  EXPECT_TRUE(torch::equal(ten->split("test").targets.at("label"), two->split("test").targets.at("label")));
  EXPECT_FALSE(torch::equal(ten->split("test").inputs, two->split("test").inputs));
  // Grey textures are among the ten: some images have (almost) equal channels.
  auto grey_fraction = [](const DataSet& d) {
    const auto x = d.split("test").inputs.to(torch::kFloat32);
    return ((x.select(1, 0) - x.select(1, 2)).abs().mean({1, 2}) < 1.0f).to(torch::kFloat32).mean().item<float>();
  };
  EXPECT_GT(grey_fraction(*ten), 0.1f);
  EXPECT_LT(grey_fraction(*two), 0.01f);
}

}  // namespace
}  // namespace graft
