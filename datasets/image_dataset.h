#pragma once
// What every image data set shares: options (channels, size, normalisation,
// label budget, augmentation), fixed splits, and the cache of derived sets.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/data.h"
#include "core/options.h"
#include "datasets/image_formats.h"

namespace graft {

/// Options every image data set accepts.
struct ImageOptions {
  std::int64_t channels = 0;     ///< 0: as stored; 1: grey; 3: colour (grey repeated)
  std::int64_t size = 0;         ///< 0: as stored; else resized to size x size
  bool normalize = true;         ///< per-channel mean/std of the training split
  double train_fraction = 1.0;   ///< labelled budget: keep this fraction of each class of the training split
  std::int64_t random_crop = 0;  ///< training batches: pad by this many pixels and crop back at random
  bool horizontal_flip = false;  ///< training batches: flip half of them (not for digits)
};

template <class T>
void declare_image_options(OptionSet<T>& o) {
  using I = ImageOptions;
  auto member = [](auto I::*m) { return static_cast<std::remove_reference_t<decltype(std::declval<I>().*m)> T::*>(m); };
  o.add("channels", member(&I::channels), "0: as stored, 1: grey, 3: colour (grey repeated)").min(0).max(3);
  o.add("size", member(&I::size), "0: as stored, else resize to size x size").min(0);
  o.add("normalize", member(&I::normalize), "subtract the per-channel mean and divide by the std of the training split");
  o.add("train_fraction", member(&I::train_fraction), "keep this fraction of each class of the training split")
      .above(0.0)
      .max(1.0);
  o.add("random_crop", member(&I::random_crop), "pad training batches by N pixels and crop back at random").min(0);
  o.add("horizontal_flip", member(&I::horizontal_flip), "flip half of each training batch left-right");
}

/// Labelled images per split name ("train", "val", "test").
using ImageSplits = std::map<std::string, LabelledImages>;

/// Splits `all` by a fixed permutation drawn from `seed`: the last `test`
/// images are the test split, the `val` before them validation, the rest train.
ImageSplits split_fixed(const LabelledImages& all, std::int64_t val, std::int64_t test, std::uint64_t seed);

/// Per class, the first ceil(fraction * n_c) examples of a permutation drawn
/// from `seed` (at least one per class).
LabelledImages class_balanced_subset(const LabelledImages& images, double fraction, std::uint64_t seed);

/// Fills `data` from raw splits following `options`. Labels [N] become the
/// "label" target; labels [N, K] become one target per name in `task_names`.
void build_image_dataset(DataSet& data, const std::string& name, ImageSplits splits, const ImageOptions& options,
                         std::int64_t num_classes, const std::vector<std::string>& task_names = {"label"});

/// Loads a derived set from <cache>/derived/<file>, or builds it with `make`
/// and stores it there sealed (core/sealed_file.h). A stored file is checked
/// first (its seal; six tensors; uint8 [N, C, H, W] images; int64 labels in
/// 0..num_classes-1, one per image; train and test not empty): one that is
/// not sound is an error naming it, never a crash or a silent data set. One
/// without a seal (an earlier graft's) is rebuilt.
ImageSplits cached_derived(const std::string& cache, const std::string& file, std::int64_t num_classes,
                           const std::function<ImageSplits()>& make);

}  // namespace graft
