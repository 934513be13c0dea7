#include "datasets/image_dataset.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/config.h"
#include "core/error.h"
#include "core/sealed_file.h"
#include "datasets/sources.h"

namespace fs = std::filesystem;

namespace graft {

namespace {
LabelledImages take(const LabelledImages& all, const torch::Tensor& index) {
  return {all.images.index_select(0, index), all.labels.index_select(0, index)};
}
}  // namespace

ImageSplits split_fixed(const LabelledImages& all, std::int64_t val, std::int64_t test, std::uint64_t seed) {
  const std::int64_t n = all.images.size(0);
  GRAFT_CHECK(val + test < n, "split", "{} images cannot give {} validation and {} test images", n, val, test);
  // With test == 0 the caller supplies its own test split.
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto order = torch::randperm(n, generator, torch::kInt64);
  ImageSplits splits;
  splits["train"] = take(all, order.slice(0, 0, n - val - test));
  if (val > 0) splits["val"] = take(all, order.slice(0, n - val - test, n - test));
  if (test > 0) splits["test"] = take(all, order.slice(0, n - test, n));
  return splits;
}

LabelledImages class_balanced_subset(const LabelledImages& images, double fraction, std::uint64_t seed) {
  if (fraction >= 1.0) return images;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto order = torch::randperm(images.labels.size(0), generator, torch::kInt64);
  // Several tasks: balance on the first one.
  const auto first_task = images.labels.dim() == 2 ? images.labels.select(1, 0) : images.labels;
  const auto labels = first_task.index_select(0, order);
  std::vector<torch::Tensor> keep;
  const std::int64_t classes = labels.max().item<std::int64_t>() + 1;
  for (std::int64_t c = 0; c < classes; ++c) {
    const auto members = order.index_select(0, labels.eq(c).nonzero().squeeze(1));
    if (members.size(0) == 0) continue;
    const auto count = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(fraction * members.size(0))));
    keep.push_back(members.slice(0, 0, count));
  }
  return take(images, std::get<0>(torch::cat(keep).sort()));
}

namespace {
torch::Tensor adapt(torch::Tensor images, const ImageOptions& options) {
  if (options.channels == 3 && images.size(1) == 1) images = images.expand({-1, 3, -1, -1}).contiguous();
  if (options.channels == 1 && images.size(1) == 3)
    images = images.to(torch::kFloat32).mean(1, true).round().to(torch::kUInt8);
  if (options.size > 0 && (images.size(2) != options.size || images.size(3) != options.size)) {
    namespace F = torch::nn::functional;
    auto resize = F::InterpolateFuncOptions().size(std::vector<std::int64_t>{options.size, options.size});
    // Area averaging to shrink (no aliasing), bilinear to enlarge.
    if (images.size(2) > options.size)
      resize.mode(torch::kArea);
    else
      resize.mode(torch::kBilinear).align_corners(false);
    auto resized = F::interpolate(images.to(torch::kFloat32), resize);
    images = resized.round().clamp(0, 255).to(torch::kUInt8);
  }
  return images;
}
}  // namespace

void build_image_dataset(DataSet& data, const std::string& name, ImageSplits splits, const ImageOptions& options,
                         std::int64_t num_classes, const std::vector<std::string>& task_names) {
  data.name = name;
  data.num_classes = num_classes;
  data.input_scale = 255.0;
  data.augment.crop_padding = options.random_crop;
  data.augment.horizontal_flip = options.horizontal_flip;
  // The label budget applies to the training split only; it is drawn once
  // (seed 0), so every method and seed sees the same labelled examples.
  splits.at("train") = class_balanced_subset(splits.at("train"), options.train_fraction, 0);
  for (auto& [split_name, images] : splits) {
    Split split;
    split.inputs = adapt(images.images, options);
    if (images.labels.dim() == 1) {
      split.targets[task_names.at(0)] = images.labels;
    } else {
      GRAFT_CHECK(images.labels.size(1) == static_cast<std::int64_t>(task_names.size()), name,
                  "{} label columns but {} task names", images.labels.size(1), task_names.size());
      for (std::size_t k = 0; k < task_names.size(); ++k)
        split.targets[task_names[k]] = images.labels.select(1, static_cast<std::int64_t>(k)).contiguous();
    }
    data.splits[split_name] = std::move(split);
  }
  const auto& train = data.splits.at("train").inputs;
  data.input_shape = {train.size(1), train.size(2), train.size(3)};
  if (options.normalize) {
    const auto x = train.to(torch::kFloat64) / 255.0;
    const auto mean = x.mean({0, 2, 3});
    const auto std = x.std({0, 2, 3}).clamp_min(1e-6);
    data.mean = std::vector<double>(mean.data_ptr<double>(), mean.data_ptr<double>() + mean.numel());
    data.std = std::vector<double>(std.data_ptr<double>(), std.data_ptr<double>() + std.numel());
  }
}

namespace {

/// The splits a derived-set file holds: images and labels for train, val and
/// test, in this order (an empty pair for a split the set does not have).
const std::vector<std::string> kDerivedSplits{"train", "val", "test"};

/// Checks what cached_derived writes before anything indexes it: a file
/// changed by hand, by another version or by a full disk must not crash a
/// run or be trained on. Returns what is wrong, or "" when it is sound.
std::string derived_set_problem(const std::vector<torch::Tensor>& tensors, std::int64_t num_classes) {
  if (tensors.size() != 2 * kDerivedSplits.size())
    return fmt::format("{} tensors, expected {} (images and labels of train, val, test)", tensors.size(),
                       2 * kDerivedSplits.size());
  for (std::size_t i = 0; i < kDerivedSplits.size(); ++i) {
    const std::string& split = kDerivedSplits[i];
    const torch::Tensor& images = tensors[2 * i];
    const torch::Tensor& labels = tensors[2 * i + 1];
    if (images.numel() == 0 && labels.numel() == 0) {
      if (split != "val") return fmt::format("the {} split is empty", split);
      continue;
    }
    if (images.scalar_type() != torch::kUInt8 || images.dim() != 4)
      return fmt::format("{} images are {} of shape {}, expected uint8 [N, C, H, W]", split,
                         c10::toString(images.scalar_type()), fmt::join(images.sizes(), "x"));
    if (labels.scalar_type() != torch::kInt64 || labels.dim() < 1 || labels.dim() > 2 || labels.size(0) != images.size(0))
      return fmt::format("{} labels are {} of shape {} for {} images, expected int64 [N] or [N, K]", split,
                         c10::toString(labels.scalar_type()), fmt::join(labels.sizes(), "x"),
                         images.size(0));
    if (labels.numel() > 0 && (labels.min().item<std::int64_t>() < 0 || labels.max().item<std::int64_t>() >= num_classes))
      return fmt::format("{} labels range over {}..{}, outside the {} classes 0..{}", split,
                         labels.min().item<std::int64_t>(), labels.max().item<std::int64_t>(), num_classes,
                         num_classes - 1);
  }
  return "";
}

}  // namespace

ImageSplits cached_derived(const std::string& cache, const std::string& file, std::int64_t num_classes,
                           const std::function<ImageSplits()>& make) {
  const std::string path = derived_dir(cache) + "/" + file;
  // A file without a seal was written by an earlier graft: rebuilt below
  // (derived sets are made deterministically from checksummed sources).
  const auto content = fs::exists(path) ? read_sealed_file(path, "derived data set") : std::nullopt;
  if (fs::exists(path) && !content)
    std::fprintf(stderr, "%s: written by an earlier graft, without a seal; rebuilding it\n", path.c_str());
  if (content) {
    std::vector<torch::Tensor> tensors;
    try {
      torch::load(tensors, content->data(), content->size());
    } catch (const std::exception& e) {
      throw Error(fmt::format("{}: damaged derived data set; delete it and it is rebuilt ({})", path,
                              library_message(e)));
    }
    const std::string problem = derived_set_problem(tensors, num_classes);
    if (!problem.empty())
      throw Error(fmt::format("{}: not a derived data set as graft writes it ({}); delete it and it is rebuilt", path,
                              problem));
    ImageSplits splits;
    for (std::size_t i = 0; i < kDerivedSplits.size(); ++i) {
      if (tensors[2 * i].numel() == 0) continue;
      splits[kDerivedSplits[i]] = {tensors[2 * i], tensors[2 * i + 1]};
    }
    return splits;
  }
  ImageSplits splits = make();
  std::vector<torch::Tensor> tensors;
  for (const auto& name : kDerivedSplits) {
    auto it = splits.find(name);
    tensors.push_back(it == splits.end() ? torch::empty({0}, torch::kUInt8) : it->second.images);
    tensors.push_back(it == splits.end() ? torch::empty({0}, torch::kInt64) : it->second.labels);
  }
  std::ostringstream sealed;
  torch::save(tensors, sealed);
  write_sealed_file(path, sealed.str());
  return splits;
}

}  // namespace graft
