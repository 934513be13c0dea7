#include "datasets/arrays.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "core/registries.h"
#include "datasets/npy.h"

namespace fs = std::filesystem;

namespace graft {

void ArraysOptions::declare(OptionSet<ArraysOptions>& o) {
  o.add("path", &ArraysOptions::path, "a .npz file, or a folder of NAME.npy files").path(PathKind::file_or_folder);
  o.add("inputs", &ArraysOptions::inputs, "name of the inputs array, [N, ...]");
  o.add("targets", &ArraysOptions::targets, "names of the target arrays, [N, ...] each; `label` is the class");
  o.add("test", &ArraysOptions::test, "the test split's .npz or folder, with the same array names")
      .path(PathKind::file_or_folder);
  o.add("holdout_fraction", &ArraysOptions::holdout_fraction, "of the training arrays, held out for validation")
      .min(0.0)
      .max(0.9);
  o.add("test_fraction", &ArraysOptions::test_fraction, "without `test`: also held out, as the test split")
      .min(0.0)
      .max(0.9);
  o.add("split_seed", &ArraysOptions::split_seed, "seed of the held-out splits (not the run's seed)").min(0);
  o.add("num_classes", &ArraysOptions::num_classes, "classes of `label`; 0: its largest value + 1").min(0);
}

namespace {

/// The arrays of a .npz file or of a folder's .npy files, by name.
std::map<std::string, NpyArray> read_arrays(const std::string& path, const std::vector<std::string>& wanted) {
  if (!fs::is_directory(path)) return read_npz(path);
  std::map<std::string, NpyArray> arrays;
  for (const auto& name : wanted) {
    const std::string file = path + "/" + name + ".npy";
    if (!fs::exists(file)) {
      std::vector<std::string> present;
      for (const auto& entry : fs::directory_iterator(path))
        if (entry.path().extension() == ".npy") present.push_back(entry.path().stem().string());
      std::sort(present.begin(), present.end());
      throw Error(fmt::format("{}: no {}.npy; the folder holds: {}", path, name,
                              present.empty() ? "no .npy files" : fmt::format("{}", fmt::join(present, ", "))));
    }
    arrays.emplace(name, read_npy(file));
  }
  return arrays;
}

torch::ScalarType torch_type(const std::string& dtype) {
  static const std::map<std::string, torch::ScalarType> types{
      {"bool", torch::kBool},   {"uint8", torch::kUInt8},     {"int8", torch::kInt8},       {"int16", torch::kInt16},
      {"int32", torch::kInt32}, {"int64", torch::kInt64},     {"float16", torch::kFloat16}, {"float32", torch::kFloat32},
      {"float64", torch::kFloat64}};
  return types.at(dtype);
}

torch::Tensor to_tensor(const NpyArray& array) {
  auto data = torch::empty(array.shape, torch::TensorOptions().dtype(torch_type(array.dtype)));
  std::memcpy(data.data_ptr(), array.data.data(), array.data.size());
  return data;
}

/// One split from the named arrays of `path`: inputs as float32 (uint8
/// images kept as bytes, scaled per batch), `label` as int64 classes.
Split load_split(const std::string& path, const ArraysOptions& o, std::int64_t& num_classes, bool& byte_images) {
  std::vector<std::string> names{o.inputs};
  names.insert(names.end(), o.targets.begin(), o.targets.end());
  const auto arrays = read_arrays(path, names);
  const auto find = [&](const std::string& name) -> const NpyArray& {
    const auto it = arrays.find(name);
    if (it == arrays.end()) {
      std::vector<std::string> present;
      for (const auto& [n, a] : arrays) present.push_back(n);
      throw Error(fmt::format("{}: no array '{}'; it holds: {}", path, name, fmt::join(present, ", ")));
    }
    return it->second;
  };
  Split split;
  const NpyArray& inputs = find(o.inputs);
  if (inputs.shape.empty()) throw Error(fmt::format("{}: '{}' is a scalar, not [N, ...] examples", path, o.inputs));
  byte_images = inputs.dtype == "uint8";
  split.inputs = to_tensor(inputs);
  if (!byte_images) split.inputs = split.inputs.to(torch::kFloat32);
  const std::int64_t n = inputs.shape[0];
  for (const auto& name : o.targets) {
    const NpyArray& array = find(name);
    if (array.shape.empty() || array.shape[0] != n)
      throw Error(fmt::format("{}: '{}' has {} examples, '{}' has {}: every array needs one row per example", path,
                              name, array.shape.empty() ? 0 : array.shape[0], o.inputs, n));
    torch::Tensor target = to_tensor(array);
    if (name == "label") {
      if (array.dtype.rfind("float", 0) == 0 || array.dtype == "bool" || array.shape.size() != 1)
        throw Error(fmt::format("{}: 'label' is {} of shape ({}); class labels are whole numbers, one per example",
                                path, array.dtype, fmt::join(array.shape, ", ")));
      target = target.to(torch::kInt64);
      if (n > 0) {
        const std::int64_t low = target.min().item<std::int64_t>(), high = target.max().item<std::int64_t>();
        if (low < 0) throw Error(fmt::format("{}: 'label' holds {}; classes are 0..K-1", path, low));
        if (num_classes == 0) num_classes = high + 1;
        if (high >= num_classes)
          throw Error(fmt::format("{}: 'label' holds {}, outside the {} classes 0..{} (num_classes)", path, high,
                                  num_classes, num_classes - 1));
      }
    } else if (target.is_floating_point()) {
      target = target.to(torch::kFloat32);
    } else {
      target = target.to(torch::kInt64);
    }
    split.targets[name] = target;
  }
  return split;
}

/// The rows of `split` at `rows`.

}  // namespace

Arrays::Arrays(Options o, const DataContext& ctx) {
  GRAFT_CHECK(!o.path.empty(), fmt::format("data.{}", ctx.domain),
              "arrays needs `path:` (a .npz file, or a folder of .npy files)");
  GRAFT_CHECK(!o.targets.empty(), fmt::format("data.{}", ctx.domain), "arrays needs at least one name in `targets:`");
  GRAFT_CHECK(o.test.empty() || o.test_fraction == 0.0, fmt::format("data.{}", ctx.domain),
              "give `test:` or `test_fraction:`, not both");
  name = "arrays:" + o.path;
  num_classes = o.num_classes;  // 0: found from the labels
  bool byte_images = false, test_bytes = false;
  const Split all = load_split(o.path, o, num_classes, byte_images);
  const std::int64_t n = all.size();
  HeldOutRows rows;
  try {
    rows = hold_out_rows(n, o.holdout_fraction, o.test_fraction, static_cast<std::uint64_t>(o.split_seed));
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", o.path, e.what()));
  }
  if (rows.val.size(0) > 0) splits["val"] = all.select(rows.val);
  if (rows.test.size(0) > 0) splits["test"] = all.select(rows.test);
  splits["train"] = all.select(rows.train);
  if (!o.test.empty()) {
    splits["test"] = load_split(o.test, o, num_classes, test_bytes);
    GRAFT_CHECK(splits["test"].inputs.sizes().slice(1) == all.inputs.sizes().slice(1) && test_bytes == byte_images,
                o.test, "test inputs are {} of shape [{}], training inputs {} of shape [{}]",
                std::string(splits["test"].inputs.dtype().name()), fmt::join(splits["test"].inputs.sizes(), ", "),
                std::string(all.inputs.dtype().name()), fmt::join(all.inputs.sizes(), ", "));
  }
  const auto shape = all.inputs.sizes().slice(1);
  input_shape.assign(shape.begin(), shape.end());
  if (byte_images) input_scale = 255.0;
  if (std::find(o.targets.begin(), o.targets.end(), "label") == o.targets.end()) num_classes = 0;
}

GRAFT_REGISTER_DATASET(Arrays, "arrays",
                       "your own arrays: a .npz file or a folder of .npy files (numpy's formats, read natively), "
                       "inputs and targets by name, held-out splits seeded apart from the run");

}  // namespace graft
