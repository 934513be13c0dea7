#include "datasets/two_moons.h"

#include <gtest/gtest.h>

#include "core/registries.h"

namespace graft {
namespace {

std::shared_ptr<DataSet> make(const std::string& yaml, std::uint64_t seed, const std::string& domain) {
  return dataset_registry().create(parse_config_text(yaml, "t"), "data.x", DataContext{seed, "", domain});
}

TEST(TwoMoons, ShapesAndBalancedLabels) {
  const auto d = make("{name: two_moons, train_per_moon: 150}", 0, "source");
  EXPECT_EQ(d->split("train").inputs.sizes(), (std::vector<std::int64_t>{300, 2}));
  EXPECT_EQ(d->split("train").targets.at("label").sum().item<std::int64_t>(), 150);
  EXPECT_TRUE(d->has_split("val"));
  EXPECT_TRUE(d->has_split("test"));
  EXPECT_EQ(d->num_classes, 2);
}

TEST(TwoMoons, DeterministicPerSeedAndDomain) {
  const auto a = make("{name: two_moons}", 3, "source");
  const auto b = make("{name: two_moons}", 3, "source");
  const auto c = make("{name: two_moons}", 3, "target");
  EXPECT_TRUE(torch::equal(a->split("train").inputs, b->split("train").inputs));
  EXPECT_FALSE(torch::equal(a->split("train").inputs, c->split("train").inputs));
}

TEST(TwoMoons, RotationTurnsPointsAboutTheCentre) {
  torch::Generator g1 = at::make_generator<at::CPUGeneratorImpl>(5);
  torch::Generator g2 = at::make_generator<at::CPUGeneratorImpl>(5);
  const auto plain = sample_two_moons(50, 0.0, 0.0, g1).inputs.to(torch::kFloat64);
  const auto turned = sample_two_moons(50, 0.0, 90.0, g2).inputs.to(torch::kFloat64);
  const auto centre = torch::tensor({0.5, 0.25}, torch::kFloat64);
  // 90°: (x, y) - c -> (-(y - c_y), x - c_x).
  const auto d = plain - centre;
  const auto expected = torch::stack({-d.select(1, 1), d.select(1, 0)}, 1) + centre;
  EXPECT_TRUE(torch::allclose(turned, expected, 1e-5, 1e-5));
}

TEST(TwoMoons, UnknownOptionIsAnError) {
  EXPECT_THROW(make("{name: two_moons, rotaton: 3}", 0, "s"), ConfigError);
}

}  // namespace
}  // namespace graft
