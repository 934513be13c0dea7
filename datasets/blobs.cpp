#include "datasets/blobs.h"

#include <cmath>

#include "core/registries.h"

namespace graft {

Split sample_blobs(const BlobsOptions& options, std::int64_t per_class, torch::Generator& generator) {
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const std::int64_t k = options.classes;
  const auto labels = torch::arange(k, torch::kInt64).repeat_interleave(per_class);
  const auto angle = labels.to(torch::kFloat64) * (2.0 * M_PI / static_cast<double>(k)) +
                     options.rotation * M_PI / 180.0;
  const auto radius = 1.0 + 0.5 * labels.remainder(2).to(torch::kFloat64);
  auto points = torch::stack({radius * torch::cos(angle), radius * torch::sin(angle)}, 1);
  points = points + options.noise * torch::randn(points.sizes(), generator, f64);
  Split split;
  split.inputs = points.to(torch::kFloat32);
  split.targets["label"] = labels;
  return split;
}

Blobs::Blobs(Options options, const DataContext& ctx) {
  name = "blobs";
  input_shape = {2};
  num_classes = options.classes;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(ctx.domain_seed());
  for (const char* split : {"train", "val", "test"})
    splits[split] = sample_blobs(options, split == std::string("train") ? options.train_per_class : options.test_per_class,
                                 generator);
}

GRAFT_REGISTER_DATASET(Blobs, "blobs",
                       "Gaussian clusters on a ring, 2 features, `classes` classes (default 6), synthetic: "
                       "50 train / 200 val / 200 test per class");

}  // namespace graft
