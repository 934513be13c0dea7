#include "core/data.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/core/image_reader_util.h"

namespace graft {
namespace {

TEST(ImagePlan, CropsComposeAndAFlipMirrorsLaterCrops) {
  ImagePlan plan = ImagePlan::whole(400, 200);
  plan.resize(200, 100);       // half size
  plan.crop(50, 25, 100, 50);  // the centre of the half-size image
  EXPECT_DOUBLE_EQ(plan.x0, 100);
  EXPECT_DOUBLE_EQ(plan.x1, 300);
  EXPECT_DOUBLE_EQ(plan.y0, 50);
  EXPECT_DOUBLE_EQ(plan.y1, 150);
  EXPECT_EQ(plan.width, 100);
  ImagePlan flipped = ImagePlan::whole(10, 10);
  flipped.flip = true;
  flipped.crop(0, 0, 3, 10);  // the left of the mirrored image is the right of the source
  EXPECT_DOUBLE_EQ(flipped.x0, 7);
  EXPECT_DOUBLE_EQ(flipped.x1, 10);
}

TEST(HoldOutRows, DependsOnTheSplitSeedAloneAndCoversEveryRowOnce) {
  const auto a = hold_out_rows(100, 0.2, 0.1, 7), b = hold_out_rows(100, 0.2, 0.1, 7);
  EXPECT_TRUE(torch::equal(a.val, b.val));
  EXPECT_EQ(a.val.size(0), 20);
  EXPECT_EQ(a.test.size(0), 10);
  EXPECT_EQ(a.train.size(0), 70);
  const auto all = std::get<0>(torch::cat({a.train, a.val, a.test}).sort());
  EXPECT_TRUE(torch::equal(all, torch::arange(100, torch::kInt64)));
  EXPECT_FALSE(torch::equal(hold_out_rows(100, 0.2, 0.1, 8).val, a.val));
  EXPECT_THROW(hold_out_rows(2, 0.5, 0.5, 0), Error);  // 1 + 1 held out of 2
}

TEST(Augmentation, CropKeepsShapeAndFlipMirrors) {
  DataSet d;
  d.augment.horizontal_flip = true;
  torch::manual_seed(0);
  const auto x = torch::arange(16, torch::kFloat32).view({1, 1, 4, 4}).repeat({64, 1, 1, 1});
  const auto out = prepare_inputs(d, x, torch::kCPU, true);
  // A flipped image starts with 3 (its top row reversed), an unflipped with 0.
  const auto first_pixel = out.select(1, 0).select(1, 0).select(1, 0);
  const auto flipped = first_pixel.eq(3).sum().item<std::int64_t>();
  EXPECT_EQ(flipped + first_pixel.eq(0).sum().item<std::int64_t>(), 64);
  EXPECT_GT(flipped, 10);  // about half of 64
  EXPECT_LT(flipped, 54);
  d.augment = {2, false};
  EXPECT_EQ(prepare_inputs(d, x, torch::kCPU, true).sizes(), x.sizes());
  EXPECT_TRUE(torch::equal(prepare_inputs(d, x, torch::kCPU, false), x));  // evaluation: untouched
}

// A split read from disk keeps reading from disk when rows are selected
// (class_subset of a photo folder): the rows' files, in the order given.
TEST(Split, SelectingRowsOfASplitReadFromDiskReadsTheirFiles) {
  const auto images = testing::random_images(5);
  Split all;
  all.reader = std::make_shared<testing::TensorImages>(images);
  all.targets["label"] = torch::tensor({0, 1, 2, 3, 4}, torch::kInt64);
  const Split some = all.select(torch::tensor({3, 1}, torch::kInt64));
  ASSERT_TRUE(some.from_disk());
  EXPECT_EQ(some.size(), 2);
  EXPECT_EQ(some.reader->describe(0), "image3.png");
  const auto whole = [](std::int64_t w, std::int64_t h) { return ImagePlan::whole(w, h); };
  EXPECT_TRUE(torch::equal(some.reader->read(1, whole), images[1]));
  EXPECT_TRUE(torch::equal(some.targets.at("label"), torch::tensor({3, 1}, torch::kInt64)));
}

}  // namespace
}  // namespace graft
