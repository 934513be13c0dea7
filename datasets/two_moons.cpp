#include "datasets/two_moons.h"

#include <cmath>

#include "core/registries.h"

namespace graft {

Split sample_two_moons(std::int64_t per_moon, double noise, double rotation_degrees, torch::Generator& generator,
                       double scale) {
  const auto options = torch::TensorOptions().dtype(torch::kFloat64);
  const auto upper_t = torch::rand({per_moon}, generator, options) * M_PI;
  const auto lower_t = torch::rand({per_moon}, generator, options) * M_PI;
  // The classic construction: upper moon (cos t, sin t), lower moon
  // (1 - cos t, 0.5 - sin t); centre (0.5, 0.25).
  auto upper = torch::stack({torch::cos(upper_t), torch::sin(upper_t)}, 1);
  auto lower = torch::stack({1.0 - torch::cos(lower_t), 0.5 - torch::sin(lower_t)}, 1);
  auto points = torch::cat({upper, lower});
  points = points + noise * torch::randn(points.sizes(), generator, options);

  const double angle = rotation_degrees * M_PI / 180.0;
  const auto centre = torch::tensor({0.5, 0.25}, options);
  const auto rotation = torch::tensor({{std::cos(angle), -std::sin(angle)}, {std::sin(angle), std::cos(angle)}}, options);
  points = scale * torch::matmul(points - centre, rotation.t()) + centre;

  Split split;
  split.inputs = points.to(torch::kFloat32);
  split.targets["label"] = torch::cat({torch::zeros({per_moon}, torch::kInt64), torch::ones({per_moon}, torch::kInt64)});
  return split;
}

TwoMoons::TwoMoons(Options options, const DataContext& ctx) {
  name = "two_moons";
  input_shape = {2};
  num_classes = 2;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(ctx.domain_seed());
  for (const char* split : {"train", "val", "test"})
    splits[split] = sample_two_moons(split == std::string("train") ? options.train_per_moon : options.test_per_moon,
                                     options.noise, options.rotation, generator, options.scale);
}

GRAFT_REGISTER_DATASET(TwoMoons, "two_moons", "two moons, 2 features, 2 classes, synthetic (Ganin et al. sec. 5.1): 300 train / 1,000 val / 1,000 test");

}  // namespace graft
