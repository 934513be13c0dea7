#include "core/experiment.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <regex>

#include <fmt/format.h>

#include "core/error.h"
#include "core/options.h"
#include "core/plugins.h"
#include "core/registries.h"

namespace graft {
namespace {

/// The keys an experiment file may have at its top level.
struct ExperimentSettings {
  std::string name = "experiment";
  std::string description;
  ConfigNode data;
  ConfigNode model;
  ConfigNode method;
  ConfigNode optimizer = ConfigNode::scalar("sgd");
  ConfigNode schedule = ConfigNode::scalar("constant");
  std::vector<std::int64_t> seeds{0};
  std::int64_t steps = 1000;
  std::int64_t batch_size = 64;
  std::int64_t eval_every = 0;
  std::int64_t eval_batch_size = 1024;
  std::int64_t checkpoint_every = 500;
  std::int64_t log_every = 10;
  std::string device = "cpu";
  std::int64_t threads = 0;
  std::int64_t blas_threads = 0;
  std::int64_t workers = 2;
  std::int64_t prefetch = 4;
  std::string sampler = "shuffled";
  std::vector<std::string> report;
  std::vector<std::string> selection;
  ConfigNode tasks;
  ConfigNode delta_m;
  std::string output = "results";
  ConfigNode variants;
  ConfigNode grid;
  std::string columns;
  std::vector<std::string> plugins;

  static void declare(OptionSet<ExperimentSettings>& o) {
    using S = ExperimentSettings;
    o.add("name", &S::name, "experiment name; results go to <output>/<name>");
    o.add("description", &S::description, "free text, kept in the results");
    o.add("data", &S::data, "map of domain name (source, target, ...) -> dataset component");
    o.add("model", &S::model, "backbone component (`graft list models`)");
    o.add("method", &S::method, "method component (`graft list methods`)");
    o.add("optimizer", &S::optimizer, "optimizer component");
    o.add("schedule", &S::schedule, "learning-rate schedule component");
    o.add("seeds", &S::seeds, "one run per seed; the table shows mean and std over them").min(0);
    o.add("steps", &S::steps, "training steps per run (closed-form methods: rounds)").min(1);
    o.add("batch_size", &S::batch_size, "examples per stream per step").min(1);
    o.add("eval_every", &S::eval_every, "evaluate every N steps (0: only at the end)").min(0);
    o.add("eval_batch_size", &S::eval_batch_size, "batch size for evaluation").min(1);
    o.add("checkpoint_every", &S::checkpoint_every, "checkpoint every N steps (0: never)").min(0);
    o.add("log_every", &S::log_every, "record training scalars every N steps").min(1);
    o.add("device", &S::device, "auto, cpu, cuda or cuda:N");
    o.add("threads", &S::threads, "libtorch intra-op threads (0: OMP_NUM_THREADS if set, else every core)").min(0);
    o.add("blas_threads", &S::blas_threads, "OpenBLAS threads (0: one, or as many as libtorch for methods whose work is matrix products; raise it with threads: 1 for MLPs)").min(0);
    o.add("workers", &S::workers,
          "threads decoding and transforming data read from disk (0: the training thread); the inputs do not "
          "depend on it")
        .min(0);
    o.add("prefetch", &S::prefetch, "batches of data read from disk prepared ahead of the one in use").min(1);
    o.add("sampler", &S::sampler,
          "order of training streams: shuffled (every example once per epoch), class_balanced (classes drawn "
          "uniformly) or domain_balanced (the parts of a `domains` data set drawn uniformly)")
        .choices({"shuffled", "class_balanced", "domain_balanced"});
    o.add("report", &S::report, "metrics shown in the table (default: all final metrics)");
    o.add("selection", &S::selection,
          "model selection: for each metric S listed, the table adds <first report metric>@S, its value at the "
          "evaluation where S was best (e.g. source.val_acc; target.val_acc is the target oracle)");
    o.add("tasks", &S::tasks, "multi-task: map of task name -> {target, loss, head_hidden} (`graft describe task`)");
    o.add("delta_m", &S::delta_m,
          "multi-task: map of metric -> variant that is its single-task baseline; adds a Delta_m % column "
          "(Maninis et al. 2019; lower is better)");
    o.add("output", &S::output, "folder that receives <name>/ with every run");
    o.add("variants", &S::variants, "map of row name -> overrides merged over this file");
    o.add("grid", &S::grid,
          "map of key.path -> list of values; every combination is run. An axis may also be named, its points "
          "named sets of overrides: task: {A2W: {data.source.list: ..., data.target.list: ...}, ...}");
    o.add("columns", &S::columns,
          "a grid axis shown as columns: one more table per metric, a row per variant, a column per point of "
          "the axis and their mean (TLlib's tasks x methods table)");
    o.add("plugins", &S::plugins,
          "shared libraries with more methods/models/data sets, loaded first: paths relative to this file, or "
          "names searched in $GRAFT_PLUGIN_PATH (core/plugins.h)");
  }
};

const std::vector<std::string> kExpansionKeys{"variants", "grid"};
/// Keys of the whole table and its folder, read once from the top of the
/// file: a variant that set one would be silently ignored (or split the sweep).
const std::vector<std::string> kExperimentWideKeys{"name", "output", "report", "selection", "delta_m", "columns",
                                                   "plugins"};

std::string sanitize(const std::string& text) {
  std::string out;
  for (char c : text) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_';
  return out;
}

/// One axis of the grid: a key path and its values, or a named axis whose
/// points are named maps of key.path -> value.
struct GridAxis {
  std::string path;  ///< the key path, or the axis name
  std::vector<ConfigNode> values;
  std::vector<std::string> point_names;  ///< named axes only
};

std::vector<GridAxis> parse_grid(const ConfigNode& grid) {
  std::vector<GridAxis> axes;
  if (grid.is_null()) return axes;
  if (!grid.is_map()) config_fail(grid, "grid", "expected a map of key.path -> list of values");
  for (const auto& entry : grid.entries()) {
    if (kExpansionKeys.end() != std::find(kExpansionKeys.begin(), kExpansionKeys.end(), entry.key) ||
        entry.key == "seeds")
      config_fail_at(entry.key_mark, "grid." + entry.key, "cannot be swept; list seeds under `seeds:`");
    GridAxis axis{entry.key, {}, {}};
    if (entry.value.is_sequence()) {
      axis.values = entry.value.items();
    } else if (entry.value.is_map()) {
      for (const auto& point : entry.value.entries()) {
        if (!point.value.is_map() || point.value.entries().empty())
          config_fail(point.value, "grid." + entry.key + "." + point.key,
                      "a point of a named axis is a map of key.path -> value, e.g. {data.source.list: "
                      "image_list/amazon.txt}");
        axis.point_names.push_back(point.key);
        axis.values.push_back(point.value);
      }
    } else {
      config_fail(entry.value, "grid." + entry.key,
                  "expected a list of values to sweep, or a map of named points (each a map of key.path -> value)");
    }
    if (axis.values.empty()) config_fail(entry.value, "grid." + entry.key, "the list of values is empty");
    axes.push_back(std::move(axis));
  }
  return axes;
}

void validate_device(const ConfigNode& root, const std::string& device) {
  static const std::regex pattern("auto|cpu|cuda(:[0-9]+)?");
  if (!std::regex_match(device, pattern)) {
    const ConfigNode* node = root.find("device");
    config_fail(node ? *node : root, "device",
                fmt::format("'{}' is not a device; {}", device, choices_hint(device, {"auto", "cpu", "cuda", "cuda:0"})));
  }
}

RunConfig resolve_run(const ConfigNode& tree, const ExperimentSettings& s, const std::string& variant,
                      const std::string& run_id, std::int64_t seed) {
  RunConfig run;
  run.experiment = s.name;
  run.variant = variant;
  run.run_id = run_id;
  run.seed = seed;
  validate_device(tree, s.device);

  if (!s.data.is_map() || s.data.entries().empty())
    config_fail(s.data.is_null() ? tree : s.data, "data",
                "expected a map of domain -> dataset, e.g. data: {source: {name: two_moons}}; datasets: " +
                    choices_hint("", dataset_registry().names()));
  ConfigNode data = ConfigNode::map();
  for (const auto& entry : s.data.entries()) {
    ConfigNode resolved = dataset_registry().resolve(entry.value, "data." + entry.key);
    run.data[entry.key] = resolved;
    data.set(entry.key, resolved);
  }
  if (s.method.is_null())
    config_fail(tree, "method", "every experiment needs a method; " + choices_hint("", method_registry().names()));
  run.method = method_registry().resolve(s.method, "method");
  if (!s.model.is_null()) run.model = model_registry().resolve(s.model, "model");
  run.optimizer = optimizer_registry().resolve(s.optimizer, "optimizer");
  run.schedule = schedule_registry().resolve(s.schedule, "schedule");
  run.steps = s.steps;
  run.batch_size = s.batch_size;
  run.eval_every = s.eval_every;
  run.eval_batch_size = s.eval_batch_size;
  run.checkpoint_every = s.checkpoint_every;
  run.log_every = s.log_every;
  run.device = s.device;
  run.threads = s.threads;
  run.blas_threads = s.blas_threads;
  run.workers = s.workers;
  run.prefetch = s.prefetch;
  run.sampler = s.sampler;
  run.report = s.report;
  run.selection = s.selection;
  run.tasks = parse_tasks(s.tasks, "tasks");

  ConfigNode& r = run.resolved = ConfigNode::map();
  r.set("name", ConfigNode::scalar(s.name));
  r.set("variant", ConfigNode::scalar(variant));
  r.set("seed", ConfigNode::scalar(std::to_string(seed)));
  r.set("data", data);
  if (!run.model.is_null()) r.set("model", run.model);
  r.set("method", run.method);
  if (!run.tasks.empty()) r.set("tasks", dump_tasks(run.tasks));
  r.set("optimizer", run.optimizer);
  r.set("schedule", run.schedule);
  const ConfigNode dumped = options_of<ExperimentSettings>().dump(s);
  for (const char* key : {"steps", "batch_size", "eval_every", "eval_batch_size", "checkpoint_every", "log_every"})
    r.set(key, *dumped.find(key));
  r.set("device", ConfigNode::scalar(s.device));
  r.set("threads", ConfigNode::scalar(std::to_string(s.threads)));
  r.set("blas_threads", ConfigNode::scalar(std::to_string(s.blas_threads)));
  r.set("workers", ConfigNode::scalar(std::to_string(s.workers)));
  r.set("prefetch", ConfigNode::scalar(std::to_string(s.prefetch)));
  // Written only when it is not the default, so that runs made before there
  // was a choice keep their identity and are not redone.
  if (s.sampler != "shuffled") r.set("sampler", ConfigNode::scalar(s.sampler));
  if (!s.plugins.empty()) r.set("plugins", *dumped.find("plugins"));
  return run;
}

/// Loads the shared libraries an experiment's `plugins:` names (relative to its file).
void load_plugins_of(const ConfigNode& root) {
  if (const ConfigNode* plugins = root.find("plugins")) {
    const auto names = OptionTraits<std::vector<std::string>>::parse(*plugins, "plugins");
    for (std::size_t i = 0; i < names.size(); ++i) {
      const ConfigNode& node = plugins->is_sequence() ? plugins->items()[i] : *plugins;
      const std::string& where = node.mark().file;
      const std::string base_dir = where.empty() || node.mark().from_command_line()
                                       ? std::string(".")
                                       : std::filesystem::path(where).parent_path().string();
      try {
        load_plugin(resolve_plugin_path(names[i], base_dir));
      } catch (const ConfigError&) {
        throw;
      } catch (const Error& e) {
        config_fail(node, fmt::format("plugins[{}]", i), e.what());
      }
    }
  }
}

}  // namespace

std::string run_identity(const ConfigNode& resolved) {
  ConfigNode copy = resolved;
  auto& entries = copy.entries();
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [](const ConfigNode::Entry& e) {
                                 return e.key == "threads" || e.key == "blas_threads" || e.key == "workers" ||
                                        e.key == "prefetch";
                               }),
                entries.end());
  return copy.hash();
}

Experiment load_experiment(const std::string& file, const std::vector<std::string>& overrides) {
  ConfigNode root = load_config_file(file);
  // Components with defaults are made explicit so that overrides and grids
  // can refine them (`optimizer.lr=0.1` on the default sgd).
  const ConfigNode defaults = options_of<ExperimentSettings>().dump(ExperimentSettings{});
  for (const char* key : {"optimizer", "schedule"})
    if (!root.find(key)) root.set(key, *defaults.find(key));
  for (const auto& assignment : overrides) apply_override(root, assignment);
  // Plugins first: the names of the components they register are checked below.
  load_plugins_of(root);

  const auto& schema = options_of<ExperimentSettings>();
  const ExperimentSettings top = schema.parse(root, "", "an experiment file", {"_base_"});

  // The name is a folder under `output`: one plain name, never a path out of it.
  if (top.name.empty() || top.name == "." || top.name == ".." || top.name.find('/') != std::string::npos ||
      top.name.find('\0') != std::string::npos)
    config_fail(root.find("name") ? *root.find("name") : root, "name",
                fmt::format("'{}' is not a folder name: results go to <output>/<name>, so the name must be one plain "
                            "folder name (no '/', not '.' or '..'), e.g. name: mnist_to_mnist_m",
                            top.name));

  Experiment experiment;
  experiment.name = top.name;
  experiment.file = file;
  experiment.output_dir = top.output + "/" + top.name;
  experiment.resolved = root;

  std::vector<std::pair<std::string, ConfigNode>> variants;
  if (top.variants.is_null()) {
    variants.emplace_back("", ConfigNode::map());
  } else {
    if (!top.variants.is_map() || top.variants.entries().empty())
      config_fail(top.variants, "variants", "expected a map of row name -> overrides");
    for (const auto& entry : top.variants.entries()) {
      if (!entry.value.is_map() && !entry.value.is_null())
        config_fail(entry.value, "variants." + entry.key, "expected a map of overrides, e.g. {method: {name: dann}}");
      for (const auto& key : kExpansionKeys)
        if (entry.value.find(key))
          config_fail(*entry.value.find(key), "variants." + entry.key + "." + key, "variants cannot nest");
      for (const auto& key : kExperimentWideKeys)
        if (entry.value.find(key))
          config_fail(*entry.value.find(key), "variants." + entry.key + "." + key,
                      fmt::format("`{}:` belongs to the whole experiment (one table, one results folder), not to a "
                                  "variant; set it at the top of the file",
                                  key));
      variants.emplace_back(entry.key, entry.value);
    }
  }
  const std::vector<GridAxis> axes = parse_grid(top.grid);
  if (!top.columns.empty()) {
    std::vector<std::string> names;
    for (const auto& axis : axes) names.push_back(axis.path);
    const auto axis = std::find_if(axes.begin(), axes.end(), [&](const GridAxis& a) { return a.path == top.columns; });
    if (axis == axes.end())
      config_fail(*root.find("columns"), "columns",
                  fmt::format("'{}' is not an axis of `grid:`; {}", top.columns, choices_hint(top.columns, names)));
    experiment.columns.axis = axis->path;
    if (!axis->point_names.empty()) {
      experiment.columns.points = axis->point_names;
    } else {
      for (const auto& value : axis->values)
        experiment.columns.points.push_back(value.is_scalar() ? value.text() : value.hash().substr(0, 6));
    }
  }

  ConfigNode base = root;
  for (const auto& key : kExpansionKeys) base.erase(key);

  std::size_t combinations = 1;
  for (const auto& axis : axes) combinations *= axis.values.size();

  for (const auto& [variant_name, overlay] : variants) {
    for (std::size_t combo = 0; combo < combinations; ++combo) {
      ConfigNode tree = base;
      tree.merge_from(overlay, /*document_root=*/true);
      std::string label_suffix;
      std::size_t rest = combo;
      for (const auto& axis : axes) {
        const std::size_t point = rest % axis.values.size();
        const ConfigNode& value = axis.values[point];
        rest /= axis.values.size();
        if (!axis.point_names.empty()) {
          for (const auto& entry : value.entries()) set_path(tree, entry.key, entry.value);
          label_suffix += fmt::format(" {}={}", axis.path, axis.point_names[point]);
          continue;
        }
        set_path(tree, axis.path, value);
        const std::string shown = value.is_scalar() ? value.text() : value.hash().substr(0, 6);
        label_suffix += fmt::format(" {}={}", axis.path, shown);
      }
      const std::string context = variant_name.empty() ? "" : fmt::format(" (in variant '{}')", variant_name);
      ExperimentSettings settings;
      try {
        settings = schema.parse(tree, "", "an experiment file", {"_base_"});
      } catch (const ConfigError& e) {
        throw ConfigError(e.what() + context);
      }
      std::string variant = variant_name;
      if (variant.empty()) {
        const ConfigNode* method = tree.find("method");
        variant = method ? method_registry().component_name(*method, "method") : "run";
      }
      variant += label_suffix;
      if (settings.seeds.empty())
        config_fail(tree.find("seeds") ? *tree.find("seeds") : tree, "seeds",
                    "is empty, so nothing would run" + context + "; list at least one seed, e.g. seeds: [0, 1, 2]");
      for (std::int64_t seed : settings.seeds) {
        const std::string run_id = fmt::format("{}__seed{}", sanitize(variant), seed);
        for (const auto& earlier : experiment.runs)
          if (earlier.run_id == run_id)
            config_fail(tree, "seeds", fmt::format("run '{}' appears twice: a seed is repeated or two variants "
                                                   "share a name{}", run_id, context));
        try {
          experiment.runs.push_back(resolve_run(tree, settings, variant, run_id, seed));
        } catch (const ConfigError& e) {
          throw ConfigError(e.what() + context);
        }
      }
      experiment.variants.push_back(variant);
    }
  }
  if (top.delta_m.is_map()) {
    for (const auto& entry : top.delta_m.entries()) {
      const std::string baseline = parse_string(entry.value, "delta_m." + entry.key);
      if (std::find(experiment.variants.begin(), experiment.variants.end(), baseline) == experiment.variants.end())
        config_fail(entry.value, "delta_m." + entry.key,
                    fmt::format("'{}' is not a variant of this experiment; {}", baseline,
                                choices_hint(baseline, experiment.variants)));
      experiment.delta_m.emplace_back(entry.key, baseline);
    }
  } else if (!top.delta_m.is_null()) {
    config_fail(top.delta_m, "delta_m", "expected a map of metric -> baseline variant, e.g. {left.test_acc: stl_left}");
  }
  SweepPlan& plan = experiment.plan;
  plan.experiment = experiment.name;
  plan.variants = experiment.variants;
  plan.delta_m = experiment.delta_m;
  plan.columns = experiment.columns;
  if (!experiment.runs.empty()) {
    plan.report = experiment.runs.front().report;
    plan.selection = experiment.runs.front().selection;
  }
  for (const auto& run : experiment.runs)
    plan.runs.push_back(SweepPlan::Run{run.run_id, run.variant, run.seed, run_identity(run.resolved)});
  return experiment;
}

RunConfig load_saved_run(const std::string& run_dir) {
  const std::string file = (std::filesystem::path(run_dir) / "config.yaml").string();
  if (!std::filesystem::exists(file))
    throw Error(fmt::format("{}: no config.yaml; a run folder of graft run (<output>/<experiment>/runs/<run>) has one",
                            run_dir));
  ConfigNode root = load_run_config(file);
  // A run's own keys, not options of an experiment file.
  const ConfigNode* variant_node = root.find("variant");
  const ConfigNode* seed_node = root.find("seed");
  if (!variant_node || !seed_node)
    throw ConfigError(fmt::format("{}: not a run's config.yaml (no variant: or seed:)", file));
  const std::string variant = parse_string(*variant_node, "variant");
  const std::int64_t seed = parse_int(*seed_node, "seed");
  root.erase("variant");
  root.erase("seed");
  root.set("seeds", parse_config_text(fmt::format("[{}]", seed), file));
  load_plugins_of(root);
  const ExperimentSettings settings = options_of<ExperimentSettings>().parse(root, "", "a run's config.yaml", {});
  std::filesystem::path folder = std::filesystem::path(run_dir).lexically_normal();
  if (folder.filename().empty()) folder = folder.parent_path();  // "runs/dann__seed0/"
  return resolve_run(root, settings, variant, folder.filename().string(), seed);
}

void keep_variants(Experiment& experiment, const std::vector<std::string>& names) {
  auto written = [](const std::string& label) { return label.substr(0, label.find(' ')); };
  auto wanted = [&](const std::string& label) {
    return std::any_of(names.begin(), names.end(),
                       [&](const std::string& n) { return n == label || n == written(label); });
  };
  std::vector<std::string> valid;
  for (const auto& label : experiment.variants)
    if (std::find(valid.begin(), valid.end(), written(label)) == valid.end()) valid.push_back(written(label));
  for (const auto& name : names)
    if (std::none_of(experiment.variants.begin(), experiment.variants.end(),
                     [&](const std::string& label) { return name == label || name == written(label); }))
      throw Error(fmt::format("--variants: '{}' is not a variant of {}; {}", name, experiment.file,
                              choices_hint(name, valid)));
  std::vector<std::string> variants;
  for (const auto& label : experiment.variants)
    if (wanted(label)) variants.push_back(label);
  std::vector<RunConfig> runs;
  for (auto& run : experiment.runs)
    if (wanted(run.variant)) runs.push_back(std::move(run));
  experiment.variants = std::move(variants);
  experiment.runs = std::move(runs);
  // A Delta_m baseline left out cannot be compared against.
  experiment.delta_m.erase(std::remove_if(experiment.delta_m.begin(), experiment.delta_m.end(),
                                          [&](const auto& entry) { return !wanted(entry.second); }),
                           experiment.delta_m.end());
}

std::vector<OptionDoc> experiment_option_docs() { return options_of<ExperimentSettings>().docs(); }

}  // namespace graft
