#include "datasets/uci_digits.h"

#include <gtest/gtest.h>

#include "tests/datasets/dataset_util.h"

namespace graft {
namespace {

TEST(UciDigits, SplitsAndResizeToMnistSize) {
  const auto d = testing::make_dataset("{name: uci_digits, size: 28}");
  EXPECT_EQ(d->split("train").size() + d->split("val").size() + d->split("test").size(), 1797);
  EXPECT_EQ(d->input_shape, (std::vector<std::int64_t>{1, 28, 28}));
  // Upsampling keeps the picture: the bright centre of a digit stays bright.
  EXPECT_GT(d->split("train").inputs.to(torch::kFloat32).mean().item<float>(), 20.0f);
}

}  // namespace
}  // namespace graft
