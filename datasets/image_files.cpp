#include "datasets/image_files.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "core/loader.h"
#include "datasets/image_formats.h"

namespace graft {

struct ImageFiles::Cache {
  std::vector<torch::Tensor> images;  ///< uint8 [C, H, W], decoded once
  std::vector<std::once_flag> decoded;
  explicit Cache(std::size_t n) : images(n), decoded(n) {}
};

ImageFiles::ImageFiles(std::vector<std::string> paths, bool skip_unreadable, std::int64_t cache_size)
    : paths_(std::move(paths)), skip_unreadable_(skip_unreadable), cache_size_(cache_size) {
  if (cache_size_ > 0) cache_ = std::make_shared<Cache>(paths_.size());
}

torch::Tensor ImageFiles::read(std::int64_t index,
                               const std::function<ImagePlan(std::int64_t, std::int64_t)>& plan_for) const {
  const std::string& path = paths_.at(static_cast<std::size_t>(index));
  if (!cache_) return read_image_region(path, plan_for);
  const auto slot = static_cast<std::size_t>(index);
  // Once per image, whichever worker comes first; a failed decode is not
  // kept, so the next read tries (and reports) again.
  std::call_once(cache_->decoded[slot], [&] {
    ImagePlan plan;
    const auto pixels = read_image_region(path, [&](std::int64_t w, std::int64_t h) {
      plan = ImagePlan::whole(w, h);
      const std::int64_t shorter = std::min(w, h), size = std::min(cache_size_, shorter);  // never enlarged
      plan.resize(w * size / shorter, h * size / shorter);
      return plan;
    });
    cache_->images[slot] =
        finish_plan(pixels.to(torch::kFloat32), plan).round_().clamp_(0, 255).to(torch::kUInt8).contiguous();
  });
  const torch::Tensor& image = cache_->images[slot];
  const ImagePlan plan = plan_for(image.size(2), image.size(1));
  const auto x0 = static_cast<std::int64_t>(std::floor(plan.x0 + 1e-6)), y0 = static_cast<std::int64_t>(std::floor(plan.y0 + 1e-6));
  const auto x1 = std::max(x0 + 1, static_cast<std::int64_t>(std::ceil(plan.x1 - 1e-6)));
  const auto y1 = std::max(y0 + 1, static_cast<std::int64_t>(std::ceil(plan.y1 - 1e-6)));
  return image.slice(1, y0, y1).slice(2, x0, x1);
}

namespace {
Split make_split(const LabelledFiles& files, const torch::Tensor& rows, const ImageFileSettings& settings) {
  std::vector<std::string> paths;
  std::vector<std::int64_t> labels;
  const auto* r = rows.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < rows.size(0); ++i) {
    paths.push_back(files.paths[static_cast<std::size_t>(r[i])]);
    labels.push_back(files.labels[static_cast<std::size_t>(r[i])]);
  }
  Split split;
  split.reader = std::make_shared<ImageFiles>(std::move(paths), settings.skip_unreadable, settings.cache_size);
  split.targets["label"] = torch::tensor(labels, torch::kInt64);
  return split;
}

torch::Tensor all_rows(const LabelledFiles& files) {
  return torch::arange(static_cast<std::int64_t>(files.paths.size()), torch::kInt64);
}

}  // namespace

namespace {
std::vector<std::int64_t> shape_of(const DataSet& data, const std::string& split, const std::string& where) {
  try {
    return example_shape(data, split);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", where, e.what()));
  }
}
}  // namespace

void build_image_file_dataset(DataSet& data, const std::string& name, LabelledFiles all,
                              std::optional<LabelledFiles> val, std::optional<LabelledFiles> test,
                              std::vector<std::string> classes,
                              const ImageFileSettings& settings, const std::string& where) {
  if (test && settings.test_fraction > 0)
    throw ConfigError(fmt::format("{}: give `test:` or `test_fraction:`, not both", where));
  if (val && settings.holdout_fraction > 0)
    throw ConfigError(fmt::format("{}: give `val:` or `holdout_fraction:`, not both", where));
  if (settings.test_all && (test || settings.test_fraction > 0))
    throw ConfigError(fmt::format("{}: `test_all: true` makes every file the test split; drop `test:`/`test_fraction:`",
                                  where));
  data.name = name;
  const auto n = static_cast<std::int64_t>(all.paths.size());
  HeldOutRows rows;
  try {
    rows = hold_out_rows(n, settings.holdout_fraction, settings.test_fraction,
                         static_cast<std::uint64_t>(settings.split_seed));
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", where, e.what()));
  }
  data.splits["train"] = make_split(all, rows.train, settings);
  if (rows.val.size(0) > 0) data.splits["val"] = make_split(all, rows.val, settings);
  if (rows.test.size(0) > 0) data.splits["test"] = make_split(all, rows.test, settings);
  if (val) data.splits["val"] = make_split(*val, all_rows(*val), settings);
  if (test) data.splits["test"] = make_split(*test, all_rows(*test), settings);
  if (settings.test_all) data.splits["test"] = make_split(all, all_rows(all), settings);
  data.class_names = std::move(classes);
  data.num_classes = static_cast<std::int64_t>(data.class_names.size());
  data.transforms = settings.transforms.build(where + ".transforms");
  // Every split must give examples of the training split's shape: the model
  // is built for it.
  data.input_shape = shape_of(data, "train", where);
  for (const auto& [split_name, split] : data.splits) {
    if (split_name == "train") continue;
    const auto shape = shape_of(data, split_name, where);
    if (shape != data.input_shape)
      throw ConfigError(fmt::format("{}: split '{}' gives inputs of shape [{}] after its transforms, 'train' gives [{}]; "
                                    "give both the same output size",
                                    where, split_name, fmt::join(shape, ", "), fmt::join(data.input_shape, ", ")));
  }
}

}  // namespace graft
