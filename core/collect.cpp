#include "core/collect.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/config.h"
#include "core/error.h"
#include "core/experiment.h"
#include "core/sweep_plan.h"

namespace fs = std::filesystem;

namespace graft {

namespace {

/// A placeholder for a run the sweep expected that has no ended record.
CollectedRun unfinished(const std::string& experiment, const std::string& variant, const std::string& run_id,
                        std::int64_t seed, const std::string& why) {
  CollectedRun run;
  run.record.experiment = experiment;
  run.record.variant = variant;
  run.record.run_id = run_id;
  run.record.seed = seed;
  run.record.status = "pending";
  run.record.message = why;
  return run;
}

/// A record that did not end says how far it got.
void describe_unended(RunRecord& record) {
  if (record.status == "finished" || record.status == "failed") return;
  record.message = fmt::format("not finished: step {} of {} (killed, or still training)", record.steps_done,
                               record.total_steps);
}

std::vector<std::string> string_list(const ConfigNode* node) {
  std::vector<std::string> out;
  if (!node) return out;
  if (node->is_scalar()) out.push_back(node->text());
  if (node->is_sequence())
    for (const auto& item : node->items())
      if (item.is_scalar()) out.push_back(item.text());
  return out;
}

void append_new(std::vector<std::string>& to, const std::vector<std::string>& from) {
  for (const auto& item : from)
    if (std::find(to.begin(), to.end(), item) == to.end()) to.push_back(item);
}

/// One experiment's runs, in table order, before labels are made unique.
struct ExperimentRuns {
  std::string name;
  std::vector<std::string> variants;
  std::vector<CollectedRun> runs;
};

/// The runs of a results folder as its plan lists them: each with its
/// record when that record was made from the run's current config (as `graft
/// run` decides what to keep), else a placeholder saying why.
ExperimentRuns expected_runs(const SweepPlan& plan, const fs::path& folder, std::map<fs::path, RunRecord>& records,
                             CollectedRuns& out) {
  ExperimentRuns group;
  group.name = plan.experiment;
  group.variants = plan.variants;
  for (const auto& run : plan.runs) {
    const fs::path file = fs::weakly_canonical(folder / "runs" / run.run_id / "run.h5");
    auto found = records.find(file);
    if (found == records.end()) {
      group.runs.push_back(unfinished(plan.experiment, run.variant, run.run_id, run.seed, "no run.h5: never started"));
      continue;
    }
    RunRecord record = std::move(found->second);
    records.erase(found);
    if (record.config_hash != run.identity) {
      group.runs.push_back(unfinished(plan.experiment, run.variant, run.run_id, run.seed,
                                      "its run.h5 was made from another config than the sweep's last `graft run`"));
      continue;
    }
    describe_unended(record);
    group.runs.push_back(CollectedRun{std::move(record), file.parent_path().string()});
  }
  append_new(out.report, plan.report);
  append_new(out.selection, plan.selection);
  for (const auto& baseline : plan.delta_m)
    if (std::find(out.delta_m.begin(), out.delta_m.end(), baseline) == out.delta_m.end()) out.delta_m.push_back(baseline);
  if (out.columns.axis.empty()) out.columns = plan.columns;
  return group;
}

/// Records outside any results folder with a plan: grouped by experiment name;
/// every variant is expected to have each seed any run of its experiment has.
std::vector<ExperimentRuns> inferred_runs(std::vector<std::pair<fs::path, RunRecord>> records, CollectedRuns& out) {
  std::vector<ExperimentRuns> groups;
  std::map<std::string, std::size_t> index;
  std::map<std::string, std::set<std::int64_t>> seeds;
  std::map<std::string, std::map<std::string, std::set<std::int64_t>>> seen;  // experiment -> variant -> seeds
  for (auto& [file, record] : records) {
    if (!index.count(record.experiment)) {
      index[record.experiment] = groups.size();
      groups.push_back(ExperimentRuns{record.experiment, {}, {}});
    }
    ExperimentRuns& group = groups[index[record.experiment]];
    if (std::find(group.variants.begin(), group.variants.end(), record.variant) == group.variants.end())
      group.variants.push_back(record.variant);
    seeds[record.experiment].insert(record.seed);
    seen[record.experiment][record.variant].insert(record.seed);
    if (out.report.empty() && out.selection.empty() && record.status == "finished") {
      try {
        const ConfigNode config = parse_config_text(record.config_yaml, file.string());
        out.report = string_list(config.find("report"));
        out.selection = string_list(config.find("selection"));
      } catch (const Error&) {
      }
    }
    describe_unended(record);
    group.runs.push_back(CollectedRun{std::move(record), file.parent_path().string()});
  }
  for (auto& group : groups)
    for (const auto& variant : group.variants)
      for (std::int64_t seed : seeds[group.name])
        if (!seen[group.name][variant].count(seed))
          group.runs.push_back(unfinished(group.name, variant, "", seed,
                                          fmt::format("no run.h5 for seed {} (other variants of {} have one)", seed,
                                                      group.name)));
  return groups;
}

/// What a results folder is expected to hold: its sweep.yaml, or for folders
/// written before there was one, its experiment.yaml expanded again. Those
/// experiment.yaml files put a list item's first key one column right of the
/// rest ("-  name: x" over "   size: 3"), which YAML cannot read; that layout
/// is undone into a hidden file beside it (so relative paths keep their
/// meaning), then loaded.
SweepPlan results_plan(const fs::path& folder) {
  if (fs::exists(folder / "sweep.yaml")) return read_sweep_plan((folder / "sweep.yaml").string());
  const fs::path file = folder / "experiment.yaml";
  try {
    return load_experiment(file.string(), {}).plan;
  } catch (const ConfigError& e) {
    if (std::string(e.what()).find("YAML syntax error") == std::string::npos) throw;
    const std::string text = read_file(file.string());
    std::string repaired;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      const std::size_t dash = line.find_first_not_of(' ');
      if (dash != std::string::npos && line.compare(dash, 3, "-  ") == 0 && line.size() > dash + 3 &&
          line[dash + 3] != ' ')
        line.erase(dash + 1, 1);
      repaired += line + '\n';
    }
    if (repaired == text) throw;
    const fs::path copy = folder / ".experiment.read-by-report.yaml";
    write_file_atomically(copy.string(), repaired);
    try {
      SweepPlan plan = load_experiment(copy.string(), {}).plan;
      fs::remove(copy);
      return plan;
    } catch (const Error&) {
      fs::remove(copy);
      throw e;
    }
  }
}

}  // namespace

CollectedRuns collect_runs(const std::vector<std::string>& paths) {
  CollectedRuns out;
  out.paths = paths;
  // Every record below the paths, once each, in path order.
  std::vector<fs::path> files;
  for (const auto& file : find_run_records(paths, "graft report",
                                           "a results folder (<output>/<name>, as `graft run` prints it) or a run's "
                                           "folder"))
    files.emplace_back(file);
  std::map<fs::path, RunRecord> records;
  std::vector<fs::path> results_folders;  // <folder>/runs/<id>/run.h5 beside <folder>/sweep.yaml or experiment.yaml
  std::set<fs::path> checked_folders;     // each folder's files are looked for once, not once per run
  for (const auto& file : files) {
    try {
      records[file] = read_run_record(file.string());
    } catch (const Error& e) {
      out.problems.push_back(fmt::format("{}: unreadable, left out ({})", file.string(), e.what()));
      continue;
    }
    const fs::path folder = file.parent_path().parent_path().parent_path();
    if (file.parent_path().parent_path().filename() != "runs" || !checked_folders.insert(folder).second) continue;
    if (fs::exists(folder / "sweep.yaml") || fs::exists(folder / "experiment.yaml")) results_folders.push_back(folder);
  }

  std::vector<ExperimentRuns> groups;
  for (const auto& folder : results_folders) {
    SweepPlan plan;
    try {
      plan = results_plan(folder);
    } catch (const Error& e) {
      out.problems.push_back(fmt::format("{}: no sweep.yaml, and experiment.yaml does not expand here ({}); runs "
                                         "that never started are inferred from the seeds other variants have",
                                         folder.string(), e.what()));
      continue;
    }
    groups.push_back(expected_runs(plan, folder, records, out));
    int stray = 0;
    for (const auto& [file, record] : records) stray += file.string().rfind((folder / "runs").string() + "/", 0) == 0;
    if (stray > 0) {
      out.problems.push_back(fmt::format("{}: {} run.h5 file(s) belong to no run of its experiment.yaml (an earlier "
                                         "version of the file); left out",
                                         folder.string(), stray));
      for (auto it = records.begin(); it != records.end();)
        it = it->first.string().rfind((folder / "runs").string() + "/", 0) == 0 ? records.erase(it) : std::next(it);
    }
  }
  std::vector<std::pair<fs::path, RunRecord>> loose;
  for (const auto& file : files)
    if (records.count(file)) loose.emplace_back(file, std::move(records[file]));
  for (auto& group : inferred_runs(std::move(loose), out)) groups.push_back(std::move(group));

  // Row labels: the variant, prefixed with its experiment where two
  // experiments have a variant of that name.
  std::map<std::string, std::set<std::string>> experiments_of;
  for (const auto& group : groups)
    for (const auto& variant : group.variants) experiments_of[variant].insert(group.name);
  std::vector<std::string> names;
  for (auto& group : groups) {
    if (std::find(names.begin(), names.end(), group.name) == names.end()) names.push_back(group.name);
    else
      out.problems.push_back(fmt::format("experiment '{}' comes from more than one results folder: its runs are "
                                         "pooled, one row per variant (give one folder to see one sweep)",
                                         group.name));
    auto label = [&](const std::string& variant) {
      return experiments_of[variant].size() > 1 ? group.name + ": " + variant : variant;
    };
    for (const auto& variant : group.variants) {
      const std::string row = label(variant);
      if (std::find(out.variants.begin(), out.variants.end(), row) == out.variants.end()) out.variants.push_back(row);
    }
    for (auto& run : group.runs) {
      run.record.variant = label(run.record.variant);
      out.runs.push_back(std::move(run));
    }
  }
  // Row order, then seed: the page and the table list runs alike.
  std::map<std::string, std::size_t> row_of;
  for (std::size_t i = 0; i < out.variants.size(); ++i) row_of[out.variants[i]] = i;
  std::stable_sort(out.runs.begin(), out.runs.end(), [&](const CollectedRun& a, const CollectedRun& b) {
    const std::size_t ra = row_of[a.record.variant], rb = row_of[b.record.variant];
    return ra != rb ? ra < rb : a.record.seed < b.record.seed;
  });
  out.title = fmt::format("{}", fmt::join(names, " + "));
  return out;
}

void keep_rows(CollectedRuns& runs, const std::vector<std::string>& names) {
  auto matches = [](const std::string& row, const std::string& name) {
    const std::size_t variant_at = row.find(": ") == std::string::npos ? 0 : row.find(": ") + 2;
    for (std::size_t at : {std::size_t{0}, variant_at})
      if (row.compare(at, name.size(), name) == 0 && (row.size() == at + name.size() || row[at + name.size()] == ' '))
        return true;
    return false;
  };
  std::vector<std::string> kept;
  for (const auto& name : names) {
    bool any = false;
    for (const auto& row : runs.variants)
      if (matches(row, name)) {
        any = true;
        if (std::find(kept.begin(), kept.end(), row) == kept.end()) kept.push_back(row);
      }
    if (!any)
      throw Error(fmt::format("graft report: --variants: no row '{}'; {}", name, choices_hint(name, runs.variants)));
  }
  // Rows keep the report's order, not the order named.
  std::vector<std::string> ordered;
  for (const auto& row : runs.variants)
    if (std::find(kept.begin(), kept.end(), row) != kept.end()) ordered.push_back(row);
  runs.variants = ordered;
  runs.runs.erase(std::remove_if(runs.runs.begin(), runs.runs.end(),
                                 [&](const CollectedRun& run) {
                                   return std::find(kept.begin(), kept.end(), run.record.variant) == kept.end();
                                 }),
                  runs.runs.end());
}

Summary summarize(const CollectedRuns& runs) {
  std::vector<RunRecord> records;
  records.reserve(runs.runs.size());
  for (const auto& run : runs.runs) records.push_back(run.record);
  Summary summary = summarize(runs.title, runs.variants, records, runs.report, runs.selection, runs.delta_m);
  summary.columns = runs.columns;
  return summary;
}

}  // namespace graft
