#include "datasets/class_subset.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "core/registries.h"

namespace graft {

void ClassSubsetOptions::declare(OptionSet<ClassSubsetOptions>& o) {
  o.add("of", &ClassSubsetOptions::of, "the data set entry to take classes from, e.g. {name: uci_digits, size: 28}");
  // Raw nodes, so that "not given" (every class; none) differs from an empty list.
  o.add("keep", &ClassSubsetOptions::keep,
        "classes (labels) whose examples stay, labels unchanged (partial DA's target); empty: all")
      .shown_as("list of int");
  o.add("unknown", &ClassSubsetOptions::unknown,
        "classes merged into one class 'unknown', labelled one past the known ones (open-set DA's target)")
      .shown_as("list of int");
}

namespace {

/// The classes listed under `key`, each checked against the set's classes;
/// `node` null gives `fallback`.
std::vector<std::int64_t> listed_classes(const ConfigNode& node, const std::string& key, const DataSet& data,
                                         std::vector<std::int64_t> fallback) {
  if (node.is_null()) return fallback;
  const auto classes = OptionTraits<std::vector<std::int64_t>>::parse(node, key);
  std::set<std::int64_t> seen;
  for (std::size_t i = 0; i < classes.size(); ++i) {
    const ConfigNode& item = node.is_sequence() ? node.items()[i] : node;
    const std::string named = data.class_names.empty()
                                  ? ""
                                  : fmt::format(" ({})", fmt::join(data.class_names, ", "));
    if (classes[i] < 0 || classes[i] >= data.num_classes)
      config_fail(item, fmt::format("{}[{}]", key, i),
                  fmt::format("{} is not a class of '{}': its labels are 0..{}{}", classes[i], data.name,
                              data.num_classes - 1, named));
    if (!seen.insert(classes[i]).second)
      config_fail(item, fmt::format("{}[{}]", key, i), fmt::format("class {} is listed twice", classes[i]));
  }
  return classes;
}

}  // namespace

ClassSubset::ClassSubset(Options o, const DataContext& ctx) {
  const std::string where = "data." + ctx.domain;
  if (o.of.is_null())
    throw ConfigError(fmt::format("{}.of: the data set to take classes from, e.g. of: {{name: uci_digits, size: 28}}",
                                  where));
  // The same context as the set unwrapped: a sampled set (blobs, moons)
  // draws the same examples with or without the subset around it.
  const auto all = dataset_registry().create(o.of, where + ".of", ctx);
  if (all->num_classes <= 0 || !all->has_split("train") || !all->split("train").targets.count("label"))
    throw ConfigError(fmt::format("{}.of: '{}' has no class labels to select by", where, all->name));
  if (all->unknown_class >= 0)
    throw ConfigError(fmt::format("{}.of: '{}' is already open-set (class {} is 'unknown')", where, all->name,
                                  all->unknown_class));

  std::vector<std::int64_t> every(static_cast<std::size_t>(all->num_classes));
  for (std::int64_t c = 0; c < all->num_classes; ++c) every[static_cast<std::size_t>(c)] = c;
  const auto kept = listed_classes(o.keep, where + ".keep", *all, every);
  const auto unknown = listed_classes(o.unknown, where + ".unknown", *all, {});
  if (kept.empty()) throw ConfigError(fmt::format("{}.keep: keep at least one class", where));
  const std::set<std::int64_t> kept_set(kept.begin(), kept.end()), unknown_set(unknown.begin(), unknown.end());
  for (const auto c : unknown)
    if (!kept_set.count(c))
      throw ConfigError(fmt::format("{}.unknown: class {} is not kept; unknown classes are kept classes ({})", where,
                                    c, fmt::join(kept_set, ", ")));
  std::vector<std::int64_t> known;
  for (const auto c : kept_set)
    if (!unknown_set.count(c)) known.push_back(c);
  if (!unknown.empty()) {
    if (known.empty()) throw ConfigError(fmt::format("{}.unknown: every kept class is unknown; keep a known one", where));
    // Known labels stay as they are, so they must be the first K for the
    // unknown label K to be one past them.
    if (known.back() != static_cast<std::int64_t>(known.size()) - 1)
      throw ConfigError(fmt::format(
          "{}.unknown: the known classes ({}) must be 0..{} so that the unknown label, {}, comes right after them "
          "and the known labels stay the source's; make the unknown classes the last ones, or drop the classes "
          "between with keep:",
          where, fmt::join(known, ", "), known.size() - 1, known.size()));
  }

  name = fmt::format("{} (classes {})", all->name, fmt::join(kept_set, ","));
  input_shape = all->input_shape;
  input_scale = all->input_scale;
  mean = all->mean;
  std = all->std;
  augment = all->augment;
  transforms = all->transforms;
  if (unknown.empty()) {
    num_classes = *kept_set.rbegin() + 1;
  } else {
    num_classes = static_cast<std::int64_t>(known.size()) + 1;
    unknown_class = static_cast<std::int64_t>(known.size());
  }
  if (!all->class_names.empty()) {
    class_names.assign(all->class_names.begin(), all->class_names.begin() + (unknown.empty() ? num_classes : unknown_class));
    if (!unknown.empty()) class_names.push_back("unknown");
  }

  const auto kept_tensor = torch::tensor(std::vector<std::int64_t>(kept_set.begin(), kept_set.end()), torch::kInt64);
  const auto unknown_tensor = torch::tensor(unknown, torch::kInt64);
  for (const auto& [split_name, split] : all->splits) {
    const torch::Tensor& labels = split.targets.at("label");
    const auto rows = torch::isin(labels, kept_tensor).nonzero().squeeze(1);
    if (rows.numel() == 0)
      throw ConfigError(fmt::format("{}: the {} split of '{}' has no example of the classes kept ({})", where,
                                    split_name, all->name, fmt::join(kept_set, ", ")));
    Split part = split.select(rows);
    if (!unknown.empty()) {
      auto& part_labels = part.targets.at("label");
      part_labels = torch::where(torch::isin(part_labels, unknown_tensor),
                                 torch::full_like(part_labels, unknown_class), part_labels);
    }
    splits[split_name] = std::move(part);
  }
}

GRAFT_REGISTER_DATASET(ClassSubset, "class_subset",
                       "some classes of another set (partial DA: keep), others merged into one 'unknown' class "
                       "(open-set DA: unknown, scored by OS*, UNK and HOS)");

}  // namespace graft
