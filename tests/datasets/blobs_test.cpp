#include "datasets/blobs.h"

#include <cmath>

#include <gtest/gtest.h>

#include "core/registries.h"

namespace graft {
namespace {

std::shared_ptr<DataSet> make_blobs(const std::string& yaml, const std::string& domain = "source") {
  return dataset_registry().create(parse_config_text(yaml, "t"), "data.x", DataContext{0, "", domain});
}

TEST(Blobs, ShapesAndLabelsPerClass) {
  const auto d = make_blobs("{name: blobs, classes: 4, train_per_class: 10, test_per_class: 30}");
  EXPECT_EQ(d->num_classes, 4);
  EXPECT_EQ(d->split("train").inputs.sizes(), (std::vector<std::int64_t>{40, 2}));
  EXPECT_EQ(d->split("test").inputs.size(0), 120);
  EXPECT_TRUE(torch::equal(torch::bincount(d->split("val").targets.at("label")), torch::full({4}, 30, torch::kInt64)));
}

// Without noise every point is its class's centre: angle 2 pi k / K, radius
// 1 + 0.5 (k mod 2), turned by `rotation`.
TEST(Blobs, CentresAlternateRadiiAndTurnWithTheRotation) {
  BlobsOptions options;
  options.classes = 4;
  options.noise = 0.0;
  options.rotation = 90.0;
  torch::Generator generator = at::make_generator<at::CPUGeneratorImpl>(1);
  const auto split = sample_blobs(options, 1, generator);
  const auto x = split.inputs.to(torch::kFloat64);
  // k = 0: radius 1 at 0 + 90 degrees; k = 1: radius 1.5 at 90 + 90.
  EXPECT_NEAR(x[0][0].item<double>(), 0.0, 1e-6);
  EXPECT_NEAR(x[0][1].item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(x[1][0].item<double>(), -1.5, 1e-6);
  EXPECT_NEAR(x[1][1].item<double>(), 0.0, 1e-6);
  EXPECT_TRUE(torch::equal(split.targets.at("label"), torch::arange(4, torch::kInt64)));
}

TEST(Blobs, DomainsDrawApartAndRepeatPerSeed) {
  const auto a = make_blobs("{name: blobs}", "source");
  const auto b = make_blobs("{name: blobs}", "source");
  const auto c = make_blobs("{name: blobs}", "target");
  EXPECT_TRUE(torch::equal(a->split("train").inputs, b->split("train").inputs));
  EXPECT_FALSE(torch::equal(a->split("train").inputs, c->split("train").inputs));
}

TEST(Blobs, OneClassIsAnError) { EXPECT_THROW(make_blobs("{name: blobs, classes: 1}"), ConfigError); }

}  // namespace
}  // namespace graft
