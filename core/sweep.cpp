#include "core/sweep.h"

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "core/config.h"
#include "core/trainer.h"

namespace fs = std::filesystem;

namespace graft {

SweepResult run_experiment(const Experiment& experiment, const SweepOptions& options) {
  SweepResult result;
  fs::create_directories(experiment.output_dir);
  write_file_atomically(experiment.output_dir + "/experiment.yaml", experiment.resolved.to_yaml());

  std::vector<RunRecord> records;
  const std::size_t total = experiment.runs.size();
  for (std::size_t i = 0; i < total; ++i) {
    const RunConfig& run = experiment.runs[i];
    const std::string run_dir = experiment.output_dir + "/runs/" + run.run_id;
    const std::string label = fmt::format("[{}/{}] {}", i + 1, total, run.run_id);
    const std::string record_path = run_dir + "/run.h5";
    if (fs::exists(record_path)) {
      try {
        RunRecord previous = read_run_record(record_path);
        const bool same_config = previous.config_hash == run.resolved.hash();
        if (previous.status == "finished" && same_config) {
          std::fprintf(stderr, "%s finished earlier; kept\n", label.c_str());
          records.push_back(std::move(previous));
          ++result.reused;
          continue;
        }
        if (!same_config)
          std::fprintf(stderr, "%s its config changed since it ran; running it again\n", label.c_str());
      } catch (const Error& e) {
        std::fprintf(stderr, "%s %s; running it again\n", label.c_str(), e.what());
      }
    }
    RunRecord record = train_run(run, run_dir, TrainOptions{options.progress, label});
    if (record.status == "failed") {
      ++result.failed;
      std::fprintf(stderr, "%s FAILED: %s\n", label.c_str(), record.message.c_str());
    }
    ++result.trained;
    records.push_back(std::move(record));
  }

  const std::vector<std::string> report = experiment.runs.empty() ? std::vector<std::string>{}
                                                                  : experiment.runs.front().report;
  const std::vector<std::string> selection = experiment.runs.empty() ? std::vector<std::string>{}
                                                                     : experiment.runs.front().selection;
  result.summary = summarize(experiment.name, experiment.variants, records, report, selection, experiment.delta_m);
  write_file_atomically(experiment.output_dir + "/summary.md", format_markdown(result.summary));
  write_file_atomically(experiment.output_dir + "/summary.csv", format_csv(result.summary));
  return result;
}

}  // namespace graft
