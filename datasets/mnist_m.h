#pragma once
// MNIST-M (Ganin et al., JMLR 2016, sec. 5.2.1) and Fashion-MNIST-M: each
// grey image is blended over a random 28x28 patch of a colour photo,
//   out[c] = |patch[c] - digit|   for each colour channel c,
// with photos from python3-sklearn (china.jpg, flower.jpg). The patch choice
// is drawn from `recipe_seed`, so the set is the same for every run; it is
// built once and cached in <cache>/derived. Splits follow the base set's, so
// an MNIST-M test image is never the blend of an MNIST training digit.

#include "datasets/image_dataset.h"

namespace graft {

/// Blends every image of `base` (uint8 [N, 1, H, W]) over random patches of
/// `photos` (uint8 [H, W, 3] each).
torch::Tensor blend_over_photos(const torch::Tensor& base, const std::vector<torch::Tensor>& photos,
                                torch::Generator& generator);

struct MnistMOptions : ImageOptions {
  std::int64_t recipe_seed = 0;
  static void declare(OptionSet<MnistMOptions>& o) {
    declare_image_options(o);
    o.add("recipe_seed", &MnistMOptions::recipe_seed, "seed of the patch choice (the set is cached per seed)").min(0);
  }
};

struct MnistM : DataSet {
  using Options = MnistMOptions;
  MnistM(Options options, const DataContext& ctx);
};

struct FashionMnistM : DataSet {
  using Options = MnistMOptions;
  FashionMnistM(Options options, const DataContext& ctx);
};

}  // namespace graft
