#include "datasets/domains.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "core/loader.h"
#include "core/registries.h"

namespace graft {

void DomainsOptions::declare(OptionSet<DomainsOptions>& o) {
  o.add("parts", &DomainsOptions::parts,
        "map of part name -> data set entry (each a domain); the `domain` target numbers them in this order");
  o.add("transforms", &DomainsOptions::transforms,
        "for parts read from disk: per split, the transforms of every part (else the first part's)");
}

ConcatenatedReader::ConcatenatedReader(std::vector<std::shared_ptr<const ExampleReader>> parts)
    : parts_(std::move(parts)) {
  offsets_.push_back(0);
  for (const auto& part : parts_) {
    offsets_.push_back(offsets_.back() + part->size());
    skip_ = skip_ || part->skip_unreadable();
  }
}

std::pair<const ExampleReader*, std::int64_t> ConcatenatedReader::locate(std::int64_t index) const {
  const auto it = std::upper_bound(offsets_.begin(), offsets_.end(), index);
  const auto part = static_cast<std::size_t>(it - offsets_.begin() - 1);
  return {parts_.at(part).get(), index - offsets_[part]};
}

std::string ConcatenatedReader::describe(std::int64_t index) const {
  const auto [part, local] = locate(index);
  return part->describe(local);
}

torch::Tensor ConcatenatedReader::read(std::int64_t index,
                                       const std::function<ImagePlan(std::int64_t, std::int64_t)>& plan_for) const {
  const auto [part, local] = locate(index);
  return part->read(local, plan_for);
}

Domains::Domains(Options o, const DataContext& ctx) {
  const std::string where = "data." + ctx.domain;
  if (!o.parts.is_map() || o.parts.entries().size() < 2)
    throw ConfigError(fmt::format("{}.parts: a map of two or more part name -> data set entry", where));
  std::vector<std::shared_ptr<DataSet>> parts;
  for (const auto& entry : o.parts.entries()) {
    DataContext part_ctx = ctx;
    part_ctx.domain = ctx.domain + "." + entry.key;
    parts.push_back(dataset_registry().create(entry.value, where + ".parts." + entry.key, part_ctx));
    part_names.push_back(entry.key);
  }
  const DataSet& first = *parts.front();
  for (std::size_t p = 1; p < parts.size(); ++p) {
    const DataSet& part = *parts[p];
    auto differs = [&](const char* what) {
      return ConfigError(fmt::format("{}.parts: '{}' and '{}' differ in their {}; the parts of one set must agree",
                                     where, part_names[0], part_names[p], what));
    };
    if (part.num_classes != first.num_classes || part.class_names != first.class_names) throw differs("classes");
    if (part.splits.begin()->second.from_disk() != first.splits.begin()->second.from_disk())
      throw differs("kind (read from disk or held in memory)");
    if (!first.splits.begin()->second.from_disk() &&
        (part.input_shape != first.input_shape || part.input_scale != first.input_scale || part.mean != first.mean ||
         part.std != first.std))
      throw differs("input shape or normalisation (in-memory sets are normalised by their own statistics)");
  }
  name = "domains:" + fmt::format("{}", fmt::join(part_names, "+"));
  num_classes = first.num_classes;
  class_names = first.class_names;
  input_scale = first.input_scale;
  mean = first.mean;
  std = first.std;
  input_shape = first.input_shape;
  transforms = o.transforms.by_split.empty() ? first.transforms : o.transforms.build(where + ".transforms");
  // Every split any part has: the parts that have it, one after another.
  std::set<std::string> split_names;
  for (const auto& part : parts)
    for (const auto& [split_name, split] : part->splits) split_names.insert(split_name);
  for (const auto& split_name : split_names) {
    std::vector<std::shared_ptr<const ExampleReader>> readers;
    std::vector<torch::Tensor> inputs, domain;
    std::map<std::string, std::vector<torch::Tensor>> targets;
    for (std::size_t p = 0; p < parts.size(); ++p) {
      if (!parts[p]->has_split(split_name)) continue;
      const Split& split = parts[p]->split(split_name);
      if (split.from_disk()) readers.push_back(split.reader);
      else inputs.push_back(split.inputs);
      for (const auto& [target, values] : split.targets) targets[target].push_back(values);
      domain.push_back(torch::full({split.size()}, static_cast<std::int64_t>(p), torch::kInt64));
    }
    Split combined;
    if (!readers.empty()) combined.reader = std::make_shared<ConcatenatedReader>(std::move(readers));
    else combined.inputs = torch::cat(inputs);
    for (auto& [target, values] : targets) {
      if (values.size() != domain.size())
        throw ConfigError(fmt::format("{}.parts: not every part with a '{}' split has the target '{}'", where,
                                      split_name, target));
      combined.targets[target] = torch::cat(values);
    }
    combined.targets["domain"] = torch::cat(domain);
    splits[split_name] = std::move(combined);
  }
  // The parts' own transforms gave their shapes; the set's own give its.
  if (splits.at("train").from_disk()) input_shape = example_shape(*this, "train");
}

GRAFT_REGISTER_DATASET(Domains, "domains",
                       "several domains as one set (DomainBed's training domains): the parts' splits one after "
                       "another, with a `domain` target for sampler: domain_balanced");

}  // namespace graft
