#pragma once
// An ExampleReader over in-memory images that honours plans as a decoder
// does (returns the plan's box), for tests of transforms and loaders that
// need no files.

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/data.h"
#include "core/error.h"

namespace graft::testing {

class TensorImages : public ExampleReader {
 public:
  explicit TensorImages(std::vector<torch::Tensor> images, std::set<std::int64_t> unreadable = {}, bool skip = false)
      : images_(std::move(images)), unreadable_(std::move(unreadable)), skip_(skip) {}
  std::int64_t size() const override { return static_cast<std::int64_t>(images_.size()); }
  std::string describe(std::int64_t index) const override { return "image" + std::to_string(index) + ".png"; }
  bool skip_unreadable() const override { return skip_; }
  torch::Tensor read(std::int64_t index,
                     const std::function<ImagePlan(std::int64_t, std::int64_t)>& plan_for) const override {
    if (unreadable_.count(index)) throw Error(describe(index) + ": not a readable PNG (test)");
    const auto& image = images_.at(static_cast<std::size_t>(index));  // uint8 [C, H, W]
    const ImagePlan plan = plan_for(image.size(2), image.size(1));
    const auto x0 = static_cast<std::int64_t>(std::floor(plan.x0 + 1e-6)), y0 = static_cast<std::int64_t>(std::floor(plan.y0 + 1e-6));
    const auto x1 = static_cast<std::int64_t>(std::ceil(plan.x1 - 1e-6)), y1 = static_cast<std::int64_t>(std::ceil(plan.y1 - 1e-6));
    return image.slice(1, y0, y1).slice(2, x0, x1);
  }

 private:
  std::vector<torch::Tensor> images_;
  std::set<std::int64_t> unreadable_;
  bool skip_;
};

/// `n` random uint8 colour images of sizes that differ, from a fixed generator.
inline std::vector<torch::Tensor> random_images(std::int64_t n, std::uint64_t seed = 1) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  std::vector<torch::Tensor> out;
  for (std::int64_t i = 0; i < n; ++i)
    out.push_back(torch::randint(0, 256, {3, 20 + (i * 7) % 13, 24 + (i * 5) % 11}, generator, torch::kUInt8));
  return out;
}

}  // namespace graft::testing
