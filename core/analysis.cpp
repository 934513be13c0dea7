#include "core/analysis.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/experiment.h"
#include "core/feature_analysis.h"
#include "core/plots.h"
#include "core/report.h"
#include "core/run_model.h"
#include "core/run_record.h"
#include "core/runtime.h"
#include "core/sealed_file.h"

namespace fs = std::filesystem;

namespace graft {

std::vector<std::string> find_run_folders(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& file : find_run_records(paths, "graft analyze", "a run's folder (<output>/<name>/runs/<run>) or a results folder"))
    out.push_back(fs::path(file).parent_path().string());
  return out;
}

namespace {

/// The t-SNE (or PCA) of each domain's features pooled, split back per domain.
Chart feature_picture(const std::string& title, const std::vector<torch::Tensor>& features,
                      const std::vector<std::string>& names, const AnalysisOptions& options) {
  // t-SNE is quadratic in the points: the picture shows at most kPictured of
  // each domain (the first ones), the distances use them all.
  constexpr std::int64_t kPictured = 500;
  std::vector<torch::Tensor> shown;
  for (const auto& f : features) shown.push_back(f.slice(0, 0, std::min(kPictured, f.size(0))));
  const auto all = torch::cat(shown);
  torch::Tensor embedded;
  std::string axis;
  if (options.picture == "tsne") {
    TsneOptions tsne_options;
    tsne_options.perplexity = std::min(options.perplexity, static_cast<double>(all.size(0) - 2) / 3.0);
    embedded = tsne(all, tsne_options);
    axis = fmt::format("t-SNE 1 (perplexity {:g})", tsne_options.perplexity);
  } else {
    const auto centred = all - all.mean(0, true);
    embedded = torch::matmul(centred, std::get<2>(torch::linalg_svd(centred, false)).slice(0, 0, 2).t());
    axis = "principal component 1";
  }
  std::vector<torch::Tensor> parts;
  std::int64_t row = 0;
  for (const auto& f : shown) {
    parts.push_back(embedded.slice(0, row, row + f.size(0)));
    row += f.size(0);
  }
  return scatter_chart(title, axis, parts, names);
}

/// Whether `before` reproduces the features the run saved at its start
/// (features_init.pt: the first examples of each domain's test split).
std::string start_check(const std::string& run_dir, const std::vector<torch::Tensor>& before,
                        const AnalysisOptions& options) {
  const std::string path = run_dir + "/features_init.pt";
  if (!fs::exists(path) || options.split != "test") return "";
  const auto content = read_sealed_file(path, "features");
  if (!content) return "";
  std::vector<torch::Tensor> saved;
  std::istringstream stream(*content);
  torch::load(saved, stream);
  if (saved.size() != before.size()) return "";
  for (std::size_t d = 0; d < saved.size(); ++d) {
    const std::int64_t rows = std::min(saved[d].size(0), before[d].size(0));
    if (!torch::allclose(saved[d].slice(0, 0, rows), before[d].slice(0, 0, rows), 1e-4, 1e-5))
      return "the rebuilt initial network differs from the one the run started from (features_init.pt): 'before' "
             "is a fresh start of the same config, not the run's own";
  }
  return "";
}

}  // namespace

RunAnalysis analyze_run(const std::string& run_dir, const AnalysisOptions& options) {
  const std::string record_path = run_dir + "/run.h5";
  const RunRecord record = read_run_record(record_path);
  GRAFT_CHECK(record.status == "finished", record_path,
              "the run is {} (step {} of {}), not finished: run its experiment again to finish it first",
              record.status, record.steps_done, record.total_steps);
  const RunConfig run = load_saved_run(run_dir);
  RunAnalysis out;
  out.run_dir = run_dir;
  out.experiment = run.experiment;
  out.variant = run.variant;
  out.seed = run.seed;

  configure_threads(plan_threads(0, 0));
  RunModel built = build_run_model(run);
  std::vector<std::string> names;
  for (const auto& [name, data] : built.setup.domains) names.push_back(name);
  const torch::Device device = built.setup.device;
  const auto before = domain_features(*built.strategy, built.setup.domains, device, built.loader, options.examples,
                                      options.split);
  GRAFT_CHECK(!before.empty(), run_dir, "method '{}' exposes no features (Strategy::features) to analyze",
              record.variant);
  if (auto note = start_check(run_dir, before, options); !note.empty()) out.notes.push_back(note);
  load_final_parameters(*built.strategy, run_dir, run);
  const auto after = domain_features(*built.strategy, built.setup.domains, device, built.loader, options.examples,
                                     options.split);

  for (std::size_t i = 0; i < names.size(); ++i)
    for (std::size_t j = i + 1; j < names.size(); ++j) {
      DomainDistance d;
      d.first = names[i];
      d.second = names[j];
      const ProxyADistance b = proxy_a_distance(before[i], before[j], static_cast<std::uint64_t>(run.seed));
      const ProxyADistance a = proxy_a_distance(after[i], after[j], static_cast<std::uint64_t>(run.seed));
      d.before = b.distance, d.error_before = b.error;
      d.after = a.distance, d.error_after = a.error;
      d.per_domain = a.per_sample;
      out.distances.push_back(d);
    }

  if (options.picture != "none") {
    const std::string file = run_dir + "/features_" + options.picture + ".svg";
    const std::string what = options.picture == "tsne" ? "t-SNE" : "PCA";
    write_file_atomically(
        file, render_svg(fmt::format("{} — {} (seed {}): features, {} of up to 500 {} examples per domain",
                                     run.experiment, run.variant, run.seed, what, options.split),
                         {feature_picture("before training", before, names, options),
                          feature_picture("after training", after, names, options)},
                         2));
    out.picture = file;
  }
  return out;
}

std::string format_analysis_table(const std::vector<RunAnalysis>& runs) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"run", "domains", "examples", "proxy A-distance before", "after"});
  // Per variant and pair of domains: the values over seeds.
  std::map<std::pair<std::string, std::string>, std::pair<std::vector<double>, std::vector<double>>> by_variant;
  std::vector<std::pair<std::string, std::string>> order;
  for (const auto& run : runs)
    for (const auto& d : run.distances) {
      const std::string pair = d.first + " vs " + d.second;
      rows.push_back({fmt::format("{}/{} seed {}", run.experiment, run.variant, run.seed), pair,
                      fmt::format("{} + {}", d.per_domain, d.per_domain), fmt::format("{:.3f}", d.before),
                      fmt::format("{:.3f}", d.after)});
      const auto key = std::make_pair(run.experiment + "/" + run.variant, pair);
      if (!by_variant.count(key)) order.push_back(key);
      by_variant[key].first.push_back(d.before);
      by_variant[key].second.push_back(d.after);
    }
  auto mean_std = [](const std::vector<double>& v) {
    double mean = 0, var = 0;
    for (double x : v) mean += x / static_cast<double>(v.size());
    for (double x : v) var += (x - mean) * (x - mean) / static_cast<double>(v.size() - 1);
    return fmt::format("{:.3f} ± {:.3f}", mean, std::sqrt(var));
  };
  bool summary = false;
  for (const auto& key : order) {
    const auto& [b, a] = by_variant[key];
    if (b.size() < 2) continue;
    if (!summary) rows.push_back({"", "", "", "", ""});
    summary = true;
    rows.push_back({fmt::format("{} ({} seeds)", key.first, b.size()), key.second, "", mean_std(b), mean_std(a)});
  }
  return format_aligned(rows);
}

}  // namespace graft
