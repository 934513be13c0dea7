#pragma once
// UCI optical recognition of handwritten digits (Alpaydin & Kaynak), the
// 1,797 8x8 images scikit-learn ships (Debian's python3-sklearn). Pixel counts
// 0..16 are scaled to 0..255. Fixed splits (permutation seed 0): 1,197 train,
// 300 val, 300 test. `size: 28` makes them MNIST-sized (MNIST -> UCI).

#include "datasets/image_dataset.h"

namespace graft {

struct UciDigitsOptions : ImageOptions {
  static void declare(OptionSet<UciDigitsOptions>& o) { declare_image_options(o); }
};

struct UciDigits : DataSet {
  using Options = UciDigitsOptions;
  UciDigits(Options options, const DataContext& ctx);
};

}  // namespace graft
