#include "datasets/fashion_mnist.h"

#include <gtest/gtest.h>

#include "tests/datasets/dataset_util.h"

namespace graft {
namespace {

TEST(FashionMnist, OfficialTestSetAndAValidationSplit) {
  const auto d = testing::make_dataset("{name: fashion_mnist}");
  EXPECT_EQ(d->split("train").size(), 55000);
  EXPECT_EQ(d->split("val").size(), 5000);
  EXPECT_EQ(d->split("test").size(), 10000);
  EXPECT_EQ(d->split("test").targets.at("label").bincount().min().item<std::int64_t>(), 1000);
}

}  // namespace
}  // namespace graft
