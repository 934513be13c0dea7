#include "core/sweep_plan.h"

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include "core/config.h"
#include "core/options.h"

namespace graft {

namespace {

void emit_list(YAML::Emitter& out, const char* key, const std::vector<std::string>& items) {
  out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const auto& item : items) out << YAML::DoubleQuoted << item;
  out << YAML::EndSeq;
}

const ConfigNode& required(const ConfigNode& map, const std::string& key, const std::string& path) {
  const ConfigNode* node = map.find(key);
  if (!node) config_fail(map, path, fmt::format("'{}' is missing", key));
  return *node;
}

std::string scalar(const ConfigNode& node, const std::string& path) {
  if (!node.is_scalar()) config_fail(node, path, "expected a single value");
  return node.text();
}

std::vector<std::string> strings(const ConfigNode* node, const std::string& path) {
  std::vector<std::string> out;
  if (!node) return out;
  if (!node->is_sequence()) config_fail(*node, path, "expected a list");
  for (std::size_t i = 0; i < node->items().size(); ++i)
    out.push_back(scalar(node->items()[i], fmt::format("{}[{}]", path, i)));
  return out;
}

}  // namespace

std::string sweep_plan_yaml(const SweepPlan& plan) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "experiment" << YAML::Value << YAML::DoubleQuoted << plan.experiment;
  emit_list(out, "variants", plan.variants);
  emit_list(out, "report", plan.report);
  emit_list(out, "selection", plan.selection);
  out << YAML::Key << "delta_m" << YAML::Value << YAML::Flow << YAML::BeginMap;
  for (const auto& [metric, baseline] : plan.delta_m)
    out << YAML::Key << YAML::DoubleQuoted << metric << YAML::Value << YAML::DoubleQuoted << baseline;
  out << YAML::EndMap;
  out << YAML::Key << "columns" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "axis" << YAML::Value << YAML::DoubleQuoted << plan.columns.axis;
  emit_list(out, "points", plan.columns.points);
  out << YAML::EndMap;
  out << YAML::Key << "runs" << YAML::Value << YAML::BeginSeq;
  for (const auto& run : plan.runs) {
    out << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "run_id" << YAML::Value << YAML::DoubleQuoted << run.run_id;
    out << YAML::Key << "variant" << YAML::Value << YAML::DoubleQuoted << run.variant;
    out << YAML::Key << "seed" << YAML::Value << run.seed;
    out << YAML::Key << "identity" << YAML::Value << YAML::DoubleQuoted << run.identity;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return "# Every run this results folder is expected to hold (written by graft run, read by graft report)\n" +
         std::string(out.c_str()) + "\n";
}

SweepPlan read_sweep_plan(const std::string& file) {
  const ConfigNode root = load_config_file(file);
  if (!root.is_map()) config_fail(root, "", "expected a sweep plan (a map with experiment, variants and runs)");
  SweepPlan plan;
  plan.experiment = scalar(required(root, "experiment", "experiment"), "experiment");
  plan.variants = strings(&required(root, "variants", "variants"), "variants");
  plan.report = strings(root.find("report"), "report");
  plan.selection = strings(root.find("selection"), "selection");
  if (const ConfigNode* delta_m = root.find("delta_m")) {
    if (!delta_m->is_map()) config_fail(*delta_m, "delta_m", "expected a map of metric: baseline variant");
    for (const auto& entry : delta_m->entries())
      plan.delta_m.emplace_back(entry.key, scalar(entry.value, "delta_m." + entry.key));
  }
  if (const ConfigNode* columns = root.find("columns")) {
    if (!columns->is_map()) config_fail(*columns, "columns", "expected a map with axis and points");
    plan.columns.axis = scalar(required(*columns, "axis", "columns.axis"), "columns.axis");
    plan.columns.points = strings(columns->find("points"), "columns.points");
  }
  const ConfigNode& runs = required(root, "runs", "runs");
  if (!runs.is_sequence()) config_fail(runs, "runs", "expected a list of runs");
  for (std::size_t i = 0; i < runs.items().size(); ++i) {
    const ConfigNode& item = runs.items()[i];
    const std::string path = fmt::format("runs[{}]", i);
    if (!item.is_map()) config_fail(item, path, "expected {run_id, variant, seed, identity}");
    SweepPlan::Run run;
    run.run_id = scalar(required(item, "run_id", path + ".run_id"), path + ".run_id");
    run.variant = scalar(required(item, "variant", path + ".variant"), path + ".variant");
    const std::string seed = scalar(required(item, "seed", path + ".seed"), path + ".seed");
    try {
      std::size_t used = 0;
      run.seed = std::stoll(seed, &used);
      if (used != seed.size()) throw std::invalid_argument(seed);
    } catch (const std::exception&) {
      config_fail(item, path + ".seed", fmt::format("'{}' is not a whole number", seed));
    }
    run.identity = scalar(required(item, "identity", path + ".identity"), path + ".identity");
    plan.runs.push_back(std::move(run));
  }
  return plan;
}

}  // namespace graft
