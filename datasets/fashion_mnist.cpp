#include "datasets/fashion_mnist.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/registries.h"
#include "datasets/sources.h"

namespace graft {

namespace {
LabelledImages read_pair(const std::string& cache, const std::string& prefix) {
  const std::string images_path = cached_source_file(cache, "fashion_mnist", prefix + "-images-idx3-ubyte.gz");
  const std::string labels_path = cached_source_file(cache, "fashion_mnist", prefix + "-labels-idx1-ubyte.gz");
  const auto images = read_idx(images_path);
  const auto labels = read_idx(labels_path);
  GRAFT_CHECK(images.dim() == 3 && images.size(1) == 28 && images.size(2) == 28, images_path,
              "expected N x 28 x 28 images, got {}", fmt::join(images.sizes(), " x "));
  GRAFT_CHECK(labels.dim() == 1 && labels.size(0) == images.size(0), labels_path,
              "{} labels for {} images", labels.numel(), images.size(0));
  // A label out of range is otherwise found only when a batch draws it, as
  // "Target 200 is out of bounds" naming no file.
  GRAFT_CHECK(labels.numel() > 0 && labels.min().item<std::int64_t>() >= 0 && labels.max().item<std::int64_t>() < 10,
              labels_path, "labels range over {}..{}; Fashion-MNIST has the 10 classes 0..9",
              labels.numel() ? labels.min().item<std::int64_t>() : 0, labels.numel() ? labels.max().item<std::int64_t>() : 0);
  return {images.unsqueeze(1), labels.to(torch::kInt64)};
}
}  // namespace

ImageSplits load_fashion_mnist_splits(const std::string& cache) {
  ImageSplits splits = split_fixed(read_pair(cache, "train"), 5000, 0, 0);
  splits["test"] = read_pair(cache, "t10k");  // the official test set
  return splits;
}

FashionMnist::FashionMnist(Options options, const DataContext& ctx) {
  build_image_dataset(*this, "fashion_mnist", load_fashion_mnist_splits(ctx.cache_dir), options, 10);
}

GRAFT_REGISTER_DATASET(FashionMnist, "fashion_mnist",
                       "Fashion-MNIST, 1x28x28, 10 classes; Debian dataset-fashion-mnist: 55,000 train / 5,000 val / 10,000 test");

}  // namespace graft
