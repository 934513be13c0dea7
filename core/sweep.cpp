#include "core/sweep.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "core/config.h"
#include "core/distributed.h"
#include "core/trainer.h"

namespace fs = std::filesystem;

namespace graft {

namespace {

/// The run's record if it exists, is readable and was made from the run's
/// current config.
std::optional<RunRecord> current_record(const RunConfig& run, const std::string& record_path) {
  if (!fs::exists(record_path)) return std::nullopt;
  try {
    RunRecord record = read_run_record(record_path);
    if (record.config_hash == run_identity(run.resolved)) return record;
  } catch (const Error&) {
  }
  return std::nullopt;
}

/// An advisory lock on <run_dir>/.lock (flock: released when the process
/// ends, even when it is killed, so a resumed run is never locked out).
class RunLock {
 public:
  explicit RunLock(const std::string& run_dir) {
    fs::create_directories(run_dir);
    fd_ = ::open((run_dir + "/.lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    held_ = fd_ >= 0 && ::flock(fd_, LOCK_EX | LOCK_NB) == 0;
  }
  ~RunLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  bool held() const { return held_; }

 private:
  int fd_ = -1;
  bool held_ = false;
};

}  // namespace

bool run_finished(const Experiment& experiment, std::size_t index) {
  const RunConfig& run = experiment.runs.at(index);
  const auto record = current_record(run, experiment.output_dir + "/runs/" + run.run_id + "/run.h5");
  return record && record->status == "finished";
}

SweepResult run_experiment(const Experiment& experiment, const SweepOptions& options) {
  SweepResult result;
  const bool writer = process_rank() == 0;  // data-parallel: rank 0 writes the results
  fs::create_directories(experiment.output_dir);
  if (writer) {
    write_file_atomically(experiment.output_dir + "/experiment.yaml", experiment.resolved.to_yaml());
    write_file_atomically(experiment.output_dir + "/sweep.yaml", sweep_plan_yaml(experiment.plan));
  }

  // One slot per run, in run order; a run this process does not train or
  // keep (another process owns it) is read back after the loop.
  const std::size_t total = experiment.runs.size();
  std::vector<std::optional<RunRecord>> records(total);
  for (std::size_t i = 0; i < total; ++i) {
    const RunConfig& run = experiment.runs[i];
    const std::string run_dir = experiment.output_dir + "/runs/" + run.run_id;
    const std::string label = fmt::format("[{}/{}] {}", i + 1, total, run.run_id);
    const std::string record_path = run_dir + "/run.h5";
    const bool selected =
        options.train &&
        (options.only.empty() || std::find(options.only.begin(), options.only.end(), i) != options.only.end());
    if (!selected) continue;
    // Rank 0 decides whether a run is kept; data-parallel peers follow it.
    std::optional<RunRecord> kept;
    if (fs::exists(record_path)) {
      try {
        RunRecord previous = read_run_record(record_path);
        const bool same_config = previous.config_hash == run_identity(run.resolved);
        if (previous.status == "finished" && same_config) kept = std::move(previous);
        else if (!same_config)
          std::fprintf(stderr, "%s its config changed since it ran; running it again\n", label.c_str());
      } catch (const Error& e) {
        std::fprintf(stderr, "%s %s; running it again\n", label.c_str(), e.what());
      }
    }
    if (agree_with_rank0(kept.has_value(), "keep/" + run.run_id)) {
      std::fprintf(stderr, "%s finished earlier; kept\n", label.c_str());
      records[i] = std::move(kept);
      ++result.reused;
      continue;
    }
    // Two sweeps of one file into one folder (two terminals, a Slurm array
    // beside --jobs) must not train the same run at once: the second skips it.
    RunLock lock(run_dir);
    if (process_count() == 1 && !lock.held()) {
      std::fprintf(stderr, "%s is being trained by another graft process; skipped here\n", label.c_str());
      continue;
    }
    RunRecord record = train_run(run, run_dir, TrainOptions{options.progress, label});
    if (record.status == "failed") {
      ++result.failed;
      std::fprintf(stderr, "%s FAILED: %s\n", label.c_str(), record.message.c_str());
    }
    ++result.trained;
    records[i] = std::move(record);
  }

  // The runs other processes own (a parallel job, a Slurm task, a second
  // sweep into this folder), read now that this process is done: finished or
  // failed ones count, the rest are pending, never left out of the table.
  std::vector<RunRecord> table_records;
  for (std::size_t i = 0; i < total; ++i) {
    const RunConfig& run = experiment.runs[i];
    const bool owned_elsewhere = !records[i];
    if (owned_elsewhere) records[i] = current_record(run, experiment.output_dir + "/runs/" + run.run_id + "/run.h5");
    const bool ended = records[i] && (records[i]->status == "finished" || records[i]->status == "failed");
    if (!ended) {
      RunRecord pending;
      pending.experiment = run.experiment;
      pending.variant = run.variant;
      pending.run_id = run.run_id;
      pending.seed = run.seed;
      pending.status = "pending";
      records[i] = std::move(pending);
      ++result.pending;
    } else if (owned_elsewhere && records[i]->status == "failed" && options.only.empty()) {
      ++result.failed;  // the whole sweep's outcome (a `--run K` task answers for its own run only)
    }
    table_records.push_back(std::move(*records[i]));
  }

  const std::vector<std::string> report = experiment.runs.empty() ? std::vector<std::string>{}
                                                                  : experiment.runs.front().report;
  const std::vector<std::string> selection = experiment.runs.empty() ? std::vector<std::string>{}
                                                                     : experiment.runs.front().selection;
  result.summary = summarize(experiment.name, experiment.variants, table_records, report, selection, experiment.delta_m);
  result.summary.columns = experiment.columns;
  // A partial table never takes the place of the summary: the process that
  // finishes last sees every run and writes it.
  if (writer && result.pending == 0) {
    write_file_atomically(experiment.output_dir + "/summary.md", format_markdown(result.summary));
    write_file_atomically(experiment.output_dir + "/summary.csv", format_csv(result.summary));
  }
  return result;
}

std::size_t run_index(const Experiment& experiment, const std::string& text) {
  std::size_t index = 0;
  try {
    std::size_t used = 0;
    index = std::stoul(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
  } catch (const std::exception&) {
    throw Error(fmt::format("--run '{}': expected a run index 0..{}", text, experiment.runs.size() - 1));
  }
  if (index >= experiment.runs.size())
    throw Error(fmt::format("--run {}: the experiment has {} run(s), indices 0..{}", index, experiment.runs.size(),
                            experiment.runs.size() - 1));
  return index;
}

std::string slurm_array_script(const Experiment& experiment, const std::string& graft_executable,
                               const std::string& file, const std::vector<std::string>& overrides, int cpus) {
  std::string command = fmt::format("'{}' run '{}'", fs::absolute(graft_executable).string(), fs::absolute(file).string());
  for (const auto& o : overrides) command += " '" + o + "'";
  const std::string logs = fs::absolute(experiment.output_dir).string();
  std::string runs;
  for (std::size_t i = 0; i < experiment.runs.size(); ++i) runs += fmt::format("#   {:>3}  {}\n", i, experiment.runs[i].run_id);
  return fmt::format(R"(#!/bin/bash
# Slurm job array for graft experiment '{name}': one array task per run,
# all writing into {out}.
# Submit with `sbatch {out}/slurm.sh`; when every task is done, the same
# `graft run` without --run prints the table (finished runs are kept).
#SBATCH --job-name=graft-{name}
#SBATCH --array=0-{last}
#SBATCH --cpus-per-task={cpus}
#SBATCH --output={out}/slurm-%A_%a.log
# Runs by index:
{runs}set -euo pipefail
cd '{cwd}'
{command} --run "$SLURM_ARRAY_TASK_ID" --no-progress threads="$SLURM_CPUS_PER_TASK"
)",
                     fmt::arg("name", experiment.name), fmt::arg("out", logs), fmt::arg("last", experiment.runs.size() - 1),
                     fmt::arg("cpus", cpus), fmt::arg("runs", runs), fmt::arg("cwd", fs::current_path().string()),
                     fmt::arg("command", command));
}

}  // namespace graft
