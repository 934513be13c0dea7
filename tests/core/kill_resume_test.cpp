// A killed run resumes from its last checkpoint and ends with the same numbers
// as an uninterrupted one: tested by SIGKILLing a real `graft run` process.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "core/run_record.h"
#include "tests/test_util.h"

namespace graft {
namespace {

using testing::read_text;
using testing::TempDir;

/// Starts `graft ARGS...` with its output in `log`; `kill_at` names a point
/// of the training loop where it kills itself (GRAFT_KILL_AT, core/trainer.cpp).
pid_t spawn_graft(const std::vector<std::string>& args, const std::string& log, const std::string& kill_at = "") {
  const pid_t pid = fork();
  if (pid == 0) {
    if (kill_at.empty()) unsetenv("GRAFT_KILL_AT");
    else setenv("GRAFT_KILL_AT", kill_at.c_str(), 1);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    std::vector<char*> argv;
    std::string binary = testing::graft_binary();
    argv.push_back(binary.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

TEST(KillResume, KilledRunResumesToTheSameNumbers) {
  TempDir dir;
  const auto file = dir.write("e.yaml", R"(name: k
data: {source: {name: two_moons}, target: {name: two_moons, rotation: 35}}
model: {name: mlp, hidden: [128, 128]}
method: {name: dann}
optimizer: {name: sgd, lr: 0.02}
schedule: {name: dann_annealing}
steps: 3000
batch_size: 128
eval_every: 500
checkpoint_every: 25
threads: 1
seeds: [0]
)");
  const std::string killed_out = dir.file("killed"), clean_out = dir.file("clean");
  const std::string checkpoint = killed_out + "/k/runs/dann__seed0/checkpoint.pt";

  const pid_t victim = spawn_graft({"run", file, "output=" + killed_out, "--no-progress"}, dir.file("log1"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!std::filesystem::exists(checkpoint) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_TRUE(std::filesystem::exists(checkpoint)) << read_text(dir.file("log1"));
  kill(victim, SIGKILL);
  ASSERT_EQ(wait_exit(victim), -SIGKILL) << "the run finished before it could be killed";
  const RunRecord partial = read_run_record(killed_out + "/k/runs/dann__seed0/run.h5");
  ASSERT_EQ(partial.status, "running");

  EXPECT_EQ(wait_exit(spawn_graft({"run", file, "output=" + killed_out, "--no-progress"}, dir.file("log2"))), 0);
  const std::string resumed_log = read_text(dir.file("log2"));
  const auto at = resumed_log.find("resumed from step ");
  ASSERT_NE(at, std::string::npos) << resumed_log;
  const long resumed_from = std::stol(resumed_log.substr(at + 18));
  EXPECT_GT(resumed_from, 0);
  EXPECT_LT(resumed_from, 3000);

  EXPECT_EQ(wait_exit(spawn_graft({"run", file, "output=" + clean_out, "--no-progress"}, dir.file("log3"))), 0);
  const RunRecord resumed = read_run_record(killed_out + "/k/runs/dann__seed0/run.h5");
  const RunRecord clean = read_run_record(clean_out + "/k/runs/dann__seed0/run.h5");
  ASSERT_EQ(resumed.status, "finished");
  EXPECT_EQ(resumed.final_metrics, clean.final_metrics);
  ASSERT_EQ(resumed.train.steps, clean.train.steps);
  for (const auto& [name, column] : clean.train.columns)
    for (std::size_t i = 0; i < column.size(); ++i)
      ASSERT_TRUE(column[i] == resumed.train.columns.at(name)[i] ||
                  (std::isnan(column[i]) && std::isnan(resumed.train.columns.at(name)[i])))
          << name << " differs at row " << i;
}

/// Every logged value of two records is the same (NaN equals NaN).
void expect_same_tables(const ScalarTable& a, const ScalarTable& b, const std::string& what) {
  ASSERT_EQ(a.steps, b.steps) << what;
  for (const auto& [name, column] : a.columns) {
    ASSERT_TRUE(b.columns.count(name)) << what << ": " << name;
    for (std::size_t i = 0; i < column.size(); ++i)
      ASSERT_TRUE(column[i] == b.columns.at(name)[i] || (std::isnan(column[i]) && std::isnan(b.columns.at(name)[i])))
          << what << ": " << name << " differs at row " << i;
  }
}

constexpr const char* kShortRun = R"(name: k
data: {source: {name: two_moons}, target: {name: two_moons, rotation: 35}}
model: {name: mlp, hidden: [16]}
method: {name: dann}
optimizer: {name: sgd, lr: 0.05}
steps: 300
eval_every: 100
log_every: 10
threads: 1
seeds: [0]
)";

// The windows at the end of a run: killed after its final record or after its
// final checkpoint (the last files a run writes before its finished record),
// with and without intermediate checkpoints, and with the record damaged
// beside an intact final checkpoint. Each rerun must end finished with the
// numbers of an uninterrupted run: the final evaluation included.
TEST(KillResume, KilledAtTheEndOfARunResumesToTheFinalEvaluation) {
  TempDir dir;
  const auto file = dir.write("e.yaml", kShortRun);
  EXPECT_EQ(wait_exit(spawn_graft({"run", file, "output=" + dir.file("clean"), "--no-progress"}, dir.file("clean.log"))), 0);
  const RunRecord clean = read_run_record(dir.file("clean") + "/k/runs/dann__seed0/run.h5");
  ASSERT_EQ(clean.status, "finished");
  ASSERT_EQ(clean.eval.steps.back(), 299);
  struct Case {
    std::string kill_at, checkpoint_every;
    bool damage_record;
  };
  for (const Case& c : {Case{"final-record", "50", false}, Case{"final-checkpoint", "50", false},
                        Case{"final-checkpoint", "0", false}, Case{"final-checkpoint", "50", true},
                        Case{"final-checkpoint", "0", true}}) {
    const std::string name = c.kill_at + "-" + c.checkpoint_every + (c.damage_record ? "-damaged" : "");
    const std::string out = dir.file(name), run_h5 = out + "/k/runs/dann__seed0/run.h5";
    const std::vector<std::string> args{"run", file, "output=" + out, "checkpoint_every=" + c.checkpoint_every,
                                        "--no-progress"};
    ASSERT_EQ(wait_exit(spawn_graft(args, dir.file(name + ".log"), c.kill_at)), -SIGKILL) << name;
    if (c.damage_record) std::ofstream(run_h5, std::ios::trunc) << "not an HDF5 file";
    EXPECT_EQ(wait_exit(spawn_graft(args, dir.file(name + ".log"))), 0) << name << ": " << read_text(dir.file(name + ".log"));
    const RunRecord resumed = read_run_record(run_h5);
    ASSERT_EQ(resumed.status, "finished") << name;
    EXPECT_EQ(resumed.final_metrics, clean.final_metrics) << name;
    expect_same_tables(clean.eval, resumed.eval, name + " eval");
    expect_same_tables(clean.train, resumed.train, name + " train");
    // And it stays so: a third run keeps it.
    EXPECT_EQ(wait_exit(spawn_graft(args, dir.file(name + ".log"))), 0) << name;
    EXPECT_EQ(read_run_record(run_h5).final_metrics, clean.final_metrics) << name;
  }
}

}  // namespace
}  // namespace graft
