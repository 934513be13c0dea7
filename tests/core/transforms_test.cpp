#include "core/transforms.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/registries.h"
#include "tests/core/image_reader_util.h"

namespace graft {
namespace {

using testing::TensorImages;

std::shared_ptr<Transform> make(const std::string& yaml) {
  return transform_registry().create(parse_config_text(yaml, "test"), "t");
}

TransformPipeline pipeline(const std::string& yaml_list) {
  const auto lists = OptionTraits<TransformLists>::parse(parse_config_text("{train: " + yaml_list + "}", "test"), "transforms");
  return *lists.build("transforms").at("train");
}

TEST(ExampleRandom, DependsOnSeedEpochAndIndexAlone) {
  ExampleRandom a(1, 2, 3), b(1, 2, 3), c(1, 2, 4), d(1, 3, 3);
  const double first = a.uniform();
  EXPECT_EQ(first, b.uniform());
  EXPECT_NE(first, c.uniform());
  EXPECT_NE(first, d.uniform());
  std::set<std::int64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    const double u = a.uniform();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
    seen.insert(a.integer(2, 5));
  }
  EXPECT_EQ(seen, (std::set<std::int64_t>{2, 3, 4, 5}));  // both ends included
}

TEST(RandomResizedCrop, BoxesFollowTorchvisionsScaleAndRatio) {
  const auto crop = make("{name: random_resized_crop, size: 224}");
  for (std::int64_t i = 0; i < 2000; ++i) {
    ExampleRandom random(0, 0, i);
    ImagePlan plan = ImagePlan::whole(640, 480);
    crop->plan(plan, random);
    ASSERT_EQ(plan.width, 224);
    ASSERT_EQ(plan.height, 224);
    ASSERT_GE(plan.x0, 0);
    ASSERT_GE(plan.y0, 0);
    ASSERT_LE(plan.x1, 640);
    ASSERT_LE(plan.y1, 480);
    const double w = plan.x1 - plan.x0, h = plan.y1 - plan.y0, area = w * h / (640.0 * 480.0);
    // Whole pixels: the drawn area and ratio up to rounding of w and h.
    ASSERT_GE(area, 0.08 * 0.95);
    ASSERT_LE(area, 1.0);
    ASSERT_GE(w / h, 0.75 * 0.95);
    ASSERT_LE(w / h, (4.0 / 3.0) * 1.05);
  }
}

TEST(Resize, ShorterSideAsTorchvisionThenCentreCropRoundsHalfToEven) {
  ImagePlan plan = ImagePlan::whole(640, 480);
  ExampleRandom random(0, 0, 0);
  make("{name: resize, size: 256}")->plan(plan, random);
  EXPECT_EQ(plan.width, 341);  // int(256 * 640 / 480)
  EXPECT_EQ(plan.height, 256);
  make("{name: center_crop, size: 224}")->plan(plan, random);
  EXPECT_EQ(plan.width, 224);
  // torchvision: left = int(round((341 - 224) / 2)) = round(58.5) = 58 (Python rounds halves to even).
  EXPECT_NEAR(plan.x0, 58 * 640.0 / 341.0, 1e-9);
  ImagePlan small = ImagePlan::whole(100, 100);
  EXPECT_THROW(make("{name: center_crop, size: 224}")->plan(small, random), Error);
}

TEST(TransformPipeline, PlansBeforeDecodingAndGivesTheDeclaredShape) {
  TensorImages reader(testing::random_images(4));
  const auto p = pipeline("[{name: resize, size: 16}, {name: center_crop, size: 12}, {name: normalize, preset: imagenet}]");
  ExampleRandom random(0, 0, 0);
  for (std::int64_t i = 0; i < 4; ++i) {
    const auto x = p.load(reader, i, random);
    EXPECT_EQ(x.sizes(), (std::vector<std::int64_t>{3, 12, 12}));
    // ImageNet normalisation of values in [0, 1].
    EXPECT_GE(x[0].min().item<float>(), (0 - 0.485) / 0.229 - 1e-4);
    EXPECT_LE(x[0].max().item<float>(), (1 - 0.485) / 0.229 + 1e-4);
  }
  // No transforms: the image as stored, scaled to [0, 1].
  const auto none = pipeline("[]").load(reader, 0, random);
  EXPECT_TRUE(torch::allclose(none, testing::random_images(4)[0].to(torch::kFloat32) / 255));
  // A certain flip mirrors, before or after a pixel step.
  const auto flipped = pipeline("[{name: horizontal_flip, p: 1}]").load(reader, 0, random);
  EXPECT_TRUE(torch::equal(flipped, none.flip({2})));
  const auto later = pipeline("[grayscale, {name: horizontal_flip, p: 1}]").load(reader, 0, random);
  EXPECT_EQ(later.size(0), 1);
  EXPECT_TRUE(torch::allclose(later, pipeline("[grayscale]").load(reader, 0, random).flip({2})));
}

TEST(Grayscale, WithProbabilityPTurnsAboutThatShareGreyAndKeepsTheChannels) {
  const auto random_grey = make("{name: grayscale, channels: 3, p: 0.1}");
  auto colour = torch::zeros({3, 4, 4});
  colour[0].fill_(1.0);
  int grey = 0;
  for (std::int64_t i = 0; i < 2000; ++i) {
    ExampleRandom random(0, 0, i);
    const auto out = random_grey->apply(colour, random);
    ASSERT_EQ(out.size(0), 3);
    grey += torch::equal(out, colour) ? 0 : 1;
  }
  EXPECT_NEAR(grey / 2000.0, 0.1, 0.03);  // binomial sd 0.0067: 4.5 sd either side
  // Without p the option is not saved, so a pipeline written before it keeps its identity.
  EXPECT_EQ(transform_registry().resolve(parse_config_text("{name: grayscale}", "t"), "t").find("p"), nullptr);
  EXPECT_NE(transform_registry().resolve(parse_config_text("{name: grayscale, p: 0.1}", "t"), "t").find("p"), nullptr);
}

TEST(ColorJitter, HueTurnsColoursWithoutChangingSaturationOrValue) {
  const auto jitter = make("{name: color_jitter, hue: 0.5}");
  auto red = torch::zeros({3, 4, 4});
  red[0].fill_(1.0);
  for (std::int64_t i = 0; i < 20; ++i) {
    ExampleRandom random(0, 0, i);
    const auto out = jitter->apply(red, random);
    const auto max = std::get<0>(out.max(0)), min = std::get<0>(out.min(0));
    EXPECT_TRUE(torch::allclose(max, torch::ones_like(max), 1e-5, 1e-5));
    EXPECT_TRUE(torch::allclose(min, torch::zeros_like(min), 1e-5, 1e-5));
  }
  ExampleRandom random(0, 0, 0);
  EXPECT_TRUE(torch::allclose(make("{name: color_jitter, brightness: 0}")->apply(red, random), red));
}

TEST(TransformLists, BadEntriesNameThePathAndTheChoices) {
  auto error_of = [](const std::string& yaml) {
    try {
      OptionTraits<TransformLists>::parse(parse_config_text(yaml, "test.yaml"), "data.source.transforms");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const auto unknown = error_of("{train: [random_resize_crop]}");
  EXPECT_NE(unknown.find("random_resized_crop"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("data.source.transforms.train[0]"), std::string::npos) << unknown;
  const auto option = error_of("{train: [{name: resize, sise: 3}]}");
  EXPECT_NE(option.find("sise"), std::string::npos) << option;
  EXPECT_NE(error_of("[resize]").find("map from split name"), std::string::npos);
  EXPECT_THROW(make("{name: normalize, preset: custom}"), ConfigError);
  EXPECT_THROW(make("{name: normalize, mean: [0.5]}"), ConfigError);
}

}  // namespace
}  // namespace graft
