#pragma once
// Fashion-MNIST (Xiao et al. 2017) from Debian's dataset-fashion-mnist: 60,000
// training and 10,000 test images, 28x28 grey, 10 classes. The official
// training set is split (permutation seed 0) into 55,000 train and 5,000 val.

#include "datasets/image_dataset.h"

namespace graft {

ImageSplits load_fashion_mnist_splits(const std::string& cache);

struct FashionMnistOptions : ImageOptions {
  static void declare(OptionSet<FashionMnistOptions>& o) { declare_image_options(o); }
};

struct FashionMnist : DataSet {
  using Options = FashionMnistOptions;
  FashionMnist(Options options, const DataContext& ctx);
};

}  // namespace graft
