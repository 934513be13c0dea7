#include "datasets/image_files.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "datasets/image_formats.h"

namespace graft {

torch::Tensor ImageFiles::read(std::int64_t index,
                               const std::function<ImagePlan(std::int64_t, std::int64_t)>& plan_for) const {
  return read_image_region(paths_.at(static_cast<std::size_t>(index)), plan_for);
}

namespace {
Split make_split(const LabelledFiles& files, const torch::Tensor& rows, bool skip_unreadable) {
  std::vector<std::string> paths;
  std::vector<std::int64_t> labels;
  const auto* r = rows.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < rows.size(0); ++i) {
    paths.push_back(files.paths[static_cast<std::size_t>(r[i])]);
    labels.push_back(files.labels[static_cast<std::size_t>(r[i])]);
  }
  Split split;
  split.reader = std::make_shared<ImageFiles>(std::move(paths), skip_unreadable);
  split.targets["label"] = torch::tensor(labels, torch::kInt64);
  return split;
}

torch::Tensor all_rows(const LabelledFiles& files) {
  return torch::arange(static_cast<std::int64_t>(files.paths.size()), torch::kInt64);
}

/// The shape of example 0 of `split` after the split's transforms.
std::vector<std::int64_t> example_shape(const DataSet& data, const std::string& split_name, const std::string& where) {
  const Split& split = data.split(split_name);
  const TransformPipeline* pipeline = data.transforms_for(split_name);
  const TransformPipeline none({});
  ExampleRandom random(0, 0, 0);
  try {
    const auto x = (pipeline ? *pipeline : none).load(*split.reader, 0, random);
    return {x.sizes().begin(), x.sizes().end()};
  } catch (const std::exception& e) {
    const std::string file = split.reader->describe(0), message = library_message(e);
    throw Error(fmt::format("{}: {}{}", where, message.find(file) == std::string::npos ? file + ": " : "", message));
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
  data.name = name;
  const auto n = static_cast<std::int64_t>(all.paths.size());
  HeldOutRows rows;
  try {
    rows = hold_out_rows(n, settings.holdout_fraction, settings.test_fraction,
                         static_cast<std::uint64_t>(settings.split_seed));
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", where, e.what()));
  }
  data.splits["train"] = make_split(all, rows.train, settings.skip_unreadable);
  if (rows.val.size(0) > 0) data.splits["val"] = make_split(all, rows.val, settings.skip_unreadable);
  if (rows.test.size(0) > 0) data.splits["test"] = make_split(all, rows.test, settings.skip_unreadable);
  if (val) data.splits["val"] = make_split(*val, all_rows(*val), settings.skip_unreadable);
  if (test) data.splits["test"] = make_split(*test, all_rows(*test), settings.skip_unreadable);
  data.class_names = std::move(classes);
  data.num_classes = static_cast<std::int64_t>(data.class_names.size());
  data.transforms = settings.transforms.build(where + ".transforms");
  // Every split must give examples of the training split's shape: the model
  // is built for it.
  data.input_shape = example_shape(data, "train", where);
  for (const auto& [split_name, split] : data.splits) {
    if (split_name == "train") continue;
    const auto shape = example_shape(data, split_name, where);
    if (shape != data.input_shape)
      throw ConfigError(fmt::format("{}: split '{}' gives inputs of shape [{}] after its transforms, 'train' gives [{}]; "
                                    "give both the same output size",
                                    where, split_name, fmt::join(shape, ", "), fmt::join(data.input_shape, ", ")));
  }
}

}  // namespace graft
