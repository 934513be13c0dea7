#pragma once
// Per-example transforms of images read from disk, declared in YAML per split
// as a list of components (the transform registry), torchvision's names and
// defaults:
//
//   transforms:
//     train: [{name: random_resized_crop, size: 224}, horizontal_flip,
//             {name: normalize, preset: imagenet}]
//     test: [{name: resize, size: 256}, {name: center_crop, size: 224},
//            {name: normalize, preset: imagenet}]
//
// Each example's randomness comes from (stream seed, epoch, index) alone
// (ExampleRandom), never from a shared generator: the inputs do not depend on
// the number of worker threads or on which thread decoded what, and a resumed
// run draws exactly the inputs it would have drawn.
//
// Crops, resizes and flips that come before any pixel step are planned on the
// image's stored size and carried out once, when the file is decoded (see
// ImagePlan in core/data.h); the rest run on float [C, H, W] pixels.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/config.h"
#include "core/data.h"
#include "core/options.h"

namespace graft {

/// Uniform numbers for one example, from (seed, epoch, index) alone
/// (SplitMix64: the same sequence on every machine and compiler).
class ExampleRandom {
 public:
  ExampleRandom(std::uint64_t seed, std::int64_t epoch, std::int64_t index);
  double uniform();                                       ///< in [0, 1)
  double uniform(double low, double high);                ///< in [low, high)
  std::int64_t integer(std::int64_t low, std::int64_t high);  ///< in [low, high], both included

 private:
  std::uint64_t next();
  std::uint64_t state_;
};

class Transform {
 public:
  virtual ~Transform() = default;
  /// Geometric steps (crops, resizes, flips) change only the plan.
  virtual bool geometric() const { return false; }
  virtual void plan(ImagePlan& /*plan*/, ExampleRandom& /*random*/) const {}
  /// Pixel steps: float [C, H, W], values 0..1 until `normalize`.
  virtual torch::Tensor apply(torch::Tensor pixels, ExampleRandom& /*random*/) const { return pixels; }
};

/// Carries out a plan on float [C, H, W] pixels that cover its box: resize
/// (antialiased bilinear, ATen's kernel, as torchvision's tensor transforms
/// use) and flip.
torch::Tensor finish_plan(const torch::Tensor& pixels, const ImagePlan& plan);

/// The transforms of one split, in order.
class TransformPipeline {
 public:
  explicit TransformPipeline(std::vector<std::shared_ptr<const Transform>> steps);
  /// Reads example `index` through `reader` and transforms it: float [C, H, W].
  torch::Tensor load(const ExampleReader& reader, std::int64_t index, ExampleRandom& random) const;
  bool empty() const { return steps_.empty(); }

 private:
  std::vector<std::shared_ptr<const Transform>> steps_;
  std::size_t planned_ = 0;  ///< the leading geometric steps, planned before decoding
};

/// The `transforms:` option of data sets read from disk: split name -> the
/// resolved components (each validated when the YAML is loaded).
struct TransformLists {
  std::map<std::string, std::vector<ConfigNode>> by_split;
  /// Builds the pipelines (the `transforms` of a DataSet).
  std::map<std::string, std::shared_ptr<const TransformPipeline>> build(const std::string& path) const;
};

template <>
struct OptionTraits<TransformLists> {
  static const char* type() { return "map of split -> list of transforms"; }
  static TransformLists parse(const ConfigNode& node, const std::string& path);
  static ConfigNode dump(const TransformLists& lists);
};

/// ImageNet's per-channel mean and std (torchvision's preset).
extern const std::vector<double> kImageNetMean, kImageNetStd;

}  // namespace graft
