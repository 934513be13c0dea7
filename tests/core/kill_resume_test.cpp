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

pid_t spawn_graft(const std::vector<std::string>& args, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
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

}  // namespace
}  // namespace graft
