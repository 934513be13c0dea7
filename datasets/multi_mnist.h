#pragma once
// MultiMNIST (Sener & Koltun 2018) and MultiFashion (Lin et al. 2019): two
// images on a 36x36 canvas, one at the top-left corner and one shifted 8 px
// right and down (pixel-wise maximum where they overlap), the canvas resized
// to 28x28 (area averaging). Targets: "left" (top-left item), "right", and
// "sum" (left + right as a number, for a regression task). Each
// image of a split is paired with a random partner from the same split
// (`recipe_seed`); cached in <cache>/derived.

#include "datasets/image_dataset.h"

namespace graft {

/// Overlays pairs (first[i] top-left, second[i] shifted by `offset`) on a
/// canvas of `canvas` pixels and resizes to the input size.
torch::Tensor overlay_pairs(const torch::Tensor& first, const torch::Tensor& second, std::int64_t canvas,
                            std::int64_t offset);

struct MultiMnistOptions : ImageOptions {
  std::int64_t recipe_seed = 0;
  static void declare(OptionSet<MultiMnistOptions>& o) {
    declare_image_options(o);
    o.add("recipe_seed", &MultiMnistOptions::recipe_seed, "seed of the pairing (the set is cached per seed)").min(0);
  }
};

struct MultiMnist : DataSet {
  using Options = MultiMnistOptions;
  MultiMnist(Options options, const DataContext& ctx);
};

struct MultiFashion : DataSet {
  using Options = MultiMnistOptions;
  MultiFashion(Options options, const DataContext& ctx);
};

}  // namespace graft
