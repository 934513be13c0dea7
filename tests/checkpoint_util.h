#pragma once
// Checkpoints in tests: the parameters a run's checkpoint holds, by name, for
// tests that compare two runs' end states (data-parallel against one
// process), and the check that a killed run resumes to an uninterrupted one.

#include <signal.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/run_record.h"
#include "core/sealed_file.h"
#include "tests/test_util.h"

namespace graft::testing {

inline void collect_archive(torch::serialize::InputArchive& archive, const std::string& prefix,
                            std::map<std::string, torch::Tensor>& out) {
  for (const auto& key : archive.keys()) {
    torch::Tensor tensor;
    if (archive.try_read(key, tensor)) {
      out[prefix + key] = tensor;
      continue;
    }
    torch::serialize::InputArchive nested;
    if (archive.try_read(key, nested)) collect_archive(nested, prefix + key + ".", out);
  }
}

/// Every tensor of the strategy in <run_dir>/checkpoint.pt ("backbone.0.weight", ...).
inline std::map<std::string, torch::Tensor> checkpoint_parameters(const std::string& run_dir) {
  torch::serialize::InputArchive archive, strategy;
  const auto checkpoint = read_sealed_file(run_dir + "/checkpoint.pt", "checkpoint");
  archive.load_from(checkpoint->data(), checkpoint->size());
  archive.read("strategy", strategy);
  std::map<std::string, torch::Tensor> out;
  collect_archive(strategy, "", out);
  return out;
}

/// Runs the experiment `file` (one run, `run_id`, whose checkpoint_every
/// divides `kill_step`) three times through the graft binary: killed by
/// SIGKILL right after its checkpoint at `kill_step`, then resumed, and once
/// uninterrupted; the resumed run must end with the same final metrics and
/// every logged column equal step by step (NaN equal to NaN). Outputs go
/// under `dir`; `logged` names a column the run must have logged (the state
/// the test is about), or is empty.
inline void expect_killed_run_resumes_identically(const std::string& file, const std::string& experiment,
                                                  const std::string& run_id, std::int64_t kill_step,
                                                  const std::string& dir, const std::string& logged = "") {
  const std::string killed_out = dir + "/killed", clean_out = dir + "/clean";
  const std::string run = "/" + experiment + "/runs/" + run_id + "/run.h5";
  const std::vector<std::string> killed_args{"run", file, "output=" + killed_out, "--no-progress"};
  ASSERT_EQ(run_graft_process(killed_args, dir + "/killed.log", "checkpoint-" + std::to_string(kill_step)), -SIGKILL)
      << read_text(dir + "/killed.log");
  ASSERT_EQ(read_run_record(killed_out + run).status, "running");
  ASSERT_EQ(run_graft_process(killed_args, dir + "/resumed.log"), 0) << read_text(dir + "/resumed.log");
  EXPECT_NE(read_text(dir + "/resumed.log").find("resumed from step " + std::to_string(kill_step)), std::string::npos)
      << read_text(dir + "/resumed.log");
  ASSERT_EQ(run_graft_process({"run", file, "output=" + clean_out, "--no-progress"}, dir + "/clean.log"), 0)
      << read_text(dir + "/clean.log");

  const RunRecord resumed = read_run_record(killed_out + run);
  const RunRecord clean = read_run_record(clean_out + run);
  ASSERT_EQ(resumed.status, "finished") << resumed.message;
  EXPECT_EQ(resumed.final_metrics, clean.final_metrics);
  ASSERT_EQ(resumed.train.steps, clean.train.steps);
  if (!logged.empty()) {
    ASSERT_EQ(clean.train.columns.count(logged), 1u) << logged << " was not logged";
  }
  for (const auto& [name, column] : clean.train.columns)
    for (std::size_t i = 0; i < column.size(); ++i) {
      const double other = resumed.train.columns.at(name)[i];
      ASSERT_TRUE(column[i] == other || (std::isnan(column[i]) && std::isnan(other)))
          << name << " differs at step " << clean.train.steps[i] << ": " << column[i] << " vs " << other;
    }
}

}  // namespace graft::testing
