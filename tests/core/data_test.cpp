#include "core/data.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace graft {
namespace {

DataSet counting_set(std::int64_t n) {
  DataSet d;
  d.name = "count";
  d.input_shape = {1};
  Split s;
  s.inputs = torch::arange(n, torch::kFloat32).unsqueeze(1);
  s.targets["label"] = torch::arange(n, torch::kInt64);
  d.splits["train"] = s;
  return d;
}

TEST(BatchStream, EachEpochVisitsEveryExampleOnceAndResumesExactly) {
  const DataSet d = counting_set(10);
  BatchStream stream(d, d.split("train"), 5, 42, true, torch::kCPU);
  std::vector<std::int64_t> seen;
  for (int i = 0; i < 2; ++i) {
    const auto b = stream.next().target();
    seen.insert(seen.end(), b.data_ptr<std::int64_t>(), b.data_ptr<std::int64_t>() + 5);
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  const auto after = stream.next().target();
  BatchStream resumed(d, d.split("train"), 5, 42, true, torch::kCPU);
  resumed.restore(1, 5);
  resumed.next();  // position 5 of epoch 1 is the batch after `after`
  BatchStream again(d, d.split("train"), 5, 42, true, torch::kCPU);
  again.restore(1, 0);
  EXPECT_TRUE(torch::equal(again.next().target(), after));
}

TEST(BatchStream, UnlabelledStreamsHideTargets) {
  const DataSet d = counting_set(4);
  BatchStream stream(d, d.split("train"), 2, 0, false, torch::kCPU);
  EXPECT_TRUE(stream.next().targets.empty());
  EXPECT_THROW(stream.next().target(), Error);
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

}  // namespace
}  // namespace graft
