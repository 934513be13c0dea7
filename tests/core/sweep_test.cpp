// Sweeps across processes: --run K, --jobs N (child processes, same numbers as
// one process), Slurm job arrays, and keeping finished runs when only the
// thread count differs.

#include "core/sweep.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/run_record.h"
#include "tests/test_util.h"

namespace graft::testing {
namespace {

constexpr const char* kSweep = R"(name: sweep
data: {source: {name: two_moons}, target: {name: two_moons, rotation: 35}}
model: {name: mlp, hidden: [8]}
optimizer: {name: sgd, lr: 0.05, momentum: 0.9}
steps: 60
threads: 1
checkpoint_every: 0
seeds: [0, 1]
variants:
  source_only: {method: {name: source_only}}
  dann: {method: {name: dann}}
)";

double final_accuracy(const std::string& output, const std::string& run_id) {
  return read_run_record(output + "/sweep/runs/" + run_id + "/run.h5").final_metrics.at("target.test_acc");
}

TEST(Sweep, ParallelJobsGiveTheNumbersOfOneProcess) {
  TempDir dir;
  const auto file = dir.write("sweep.yaml", kSweep);
  const std::string graft = graft_binary();
  ASSERT_EQ(std::system((graft + " run " + file + " output=" + dir.file("one") + " --no-progress > /dev/null 2>&1").c_str()), 0);
  ASSERT_EQ(std::system((graft + " run " + file + " output=" + dir.file("two") + " --jobs 2 > " + dir.file("jobs.log") +
                         " 2>&1").c_str()),
            0);
  for (const char* run : {"source_only__seed0", "source_only__seed1", "dann__seed0", "dann__seed1"})
    EXPECT_EQ(final_accuracy(dir.file("one"), run), final_accuracy(dir.file("two"), run)) << run;
  // Each child logged to its own file.
  EXPECT_TRUE(std::filesystem::exists(dir.file("two/sweep/jobs/dann__seed1.log")));
  EXPECT_NE(read_text(dir.file("jobs.log")).find("4 run(s) trained, 0 kept from earlier, 0 failed"), std::string::npos)
      << read_text(dir.file("jobs.log"));
  // Again: every run is kept without starting a child for it.
  std::filesystem::remove_all(dir.file("two/sweep/jobs"));
  ASSERT_EQ(std::system((graft + " run " + file + " output=" + dir.file("two") + " --jobs 2 > " + dir.file("again.log") +
                         " 2>&1").c_str()),
            0);
  EXPECT_NE(read_text(dir.file("again.log")).find("0 run(s) trained, 4 kept from earlier"), std::string::npos)
      << read_text(dir.file("again.log"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("two/sweep/jobs/dann__seed1.log")));
}

// A run another process is training (it holds <run>/.lock) is skipped, not
// trained twice into the same folder.
TEST(Sweep, ARunLockedByAnotherProcessIsSkipped) {
  TempDir dir;
  const Experiment e = load_experiment(dir.write("sweep.yaml", kSweep), {"output=" + dir.file("out")});
  const std::string run_dir = dir.file("out/sweep/runs/" + e.runs[0].run_id);
  std::filesystem::create_directories(run_dir);
  // flock locks belong to the open file description: a second open in this
  // process conflicts as another process's would.
  const int fd = ::open((run_dir + "/.lock").c_str(), O_CREAT | O_RDWR, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  SweepOptions quiet;
  quiet.progress = false;
  quiet.only = {0};
  EXPECT_EQ(run_experiment(e, quiet).trained, 0);
  EXPECT_FALSE(std::filesystem::exists(run_dir + "/run.h5"));
  ::close(fd);
  EXPECT_EQ(run_experiment(e, quiet).trained, 1);
}

// Two sweeps into one folder: the run the other holds is pending, not absent;
// the table says so, the command exits 3 and the summary files wait for the
// sweep that sees every run end (which writes them complete).
TEST(Sweep, ARunHeldByAnotherProcessIsPendingAndThePartialTableIsNotTheSummary) {
  TempDir dir;
  const auto file = dir.write("sweep.yaml", kSweep);
  const Experiment e = load_experiment(file, {"output=" + dir.file("out")});
  const std::string run_dir = dir.file("out/sweep/runs/" + e.runs[0].run_id);
  std::filesystem::create_directories(run_dir);
  const int fd = ::open((run_dir + "/.lock").c_str(), O_CREAT | O_RDWR, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  const std::string command =
      graft_binary() + " run " + file + " output=" + dir.file("out") + " --no-progress > " + dir.file("log") + " 2>&1";
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3) << read_text(dir.file("log"));
  const std::string log = read_text(dir.file("log"));
  EXPECT_NE(log.find("1/2 (1 pending)"), std::string::npos) << log;
  EXPECT_NE(log.find("This table is partial"), std::string::npos) << log;
  EXPECT_FALSE(std::filesystem::exists(dir.file("out/sweep/summary.md")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("out/sweep/summary.csv")));

  ::close(fd);  // the other sweep is gone: this one trains the run and writes the whole table
  SweepOptions quiet;
  quiet.progress = false;
  const SweepResult result = run_experiment(e, quiet);
  EXPECT_EQ(result.pending, 0);
  EXPECT_EQ(result.trained, 1);
  EXPECT_EQ(result.reused, 3);
  for (const auto& row : result.summary.rows) EXPECT_EQ(row.finished, 2) << row.variant;
  EXPECT_NE(read_text(dir.file("out/sweep/summary.csv")).find("source_only,2,2,0,0"), std::string::npos)
      << read_text(dir.file("out/sweep/summary.csv"));
}

// A `--run K` task (a Slurm array task, a --jobs child) reports the other runs
// as pending and leaves the summary to the task that ends last.
TEST(Sweep, OneRunOfManyLeavesTheSummaryToTheLast) {
  TempDir dir;
  const Experiment e = load_experiment(dir.write("sweep.yaml", kSweep), {"output=" + dir.file("out")});
  SweepOptions quiet;
  quiet.progress = false;
  for (std::size_t i = 0; i < e.runs.size(); ++i) {
    quiet.only = {i};
    const SweepResult result = run_experiment(e, quiet);
    EXPECT_EQ(result.pending, static_cast<int>(e.runs.size() - 1 - i)) << i;
    EXPECT_EQ(std::filesystem::exists(dir.file("out/sweep/summary.md")), i + 1 == e.runs.size()) << i;
  }
}

// The pass that makes the table after --jobs trains nothing, so a failed run
// is reported, not retried in the parent.
TEST(Sweep, CollectingTrainsNothing) {
  TempDir dir;
  const Experiment e = load_experiment(dir.write("sweep.yaml", kSweep), {"output=" + dir.file("out")});
  SweepOptions collect;
  collect.progress = false;
  collect.train = false;
  const auto result = run_experiment(e, collect);
  EXPECT_EQ(result.trained, 0);
  EXPECT_FALSE(std::filesystem::exists(dir.file("out/sweep/runs/" + e.runs[0].run_id + "/run.h5")));
}

TEST(Sweep, OneRunByIndexAndClearErrorsForBadIndices) {
  TempDir dir;
  const Experiment e = load_experiment(dir.write("sweep.yaml", kSweep), {"output=" + dir.file("out")});
  EXPECT_EQ(run_index(e, "3"), 3u);
  EXPECT_THROW(run_index(e, "4"), Error);
  EXPECT_THROW(run_index(e, "x"), Error);
  SweepOptions only;
  only.progress = false;
  only.only = {2};
  const auto result = run_experiment(e, only);
  EXPECT_EQ(result.trained, 1);
  EXPECT_TRUE(std::filesystem::exists(dir.file("out/sweep/runs/" + e.runs[2].run_id + "/run.h5")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("out/sweep/runs/" + e.runs[0].run_id + "/run.h5")));
}

TEST(Sweep, AFinishedRunIsKeptWhenOnlyTheThreadCountDiffers) {
  TempDir dir;
  const auto file = dir.write("sweep.yaml", kSweep);
  SweepOptions quiet;
  quiet.progress = false;
  quiet.only = {0};
  run_experiment(load_experiment(file, {"output=" + dir.file("out"), "threads=1"}), quiet);
  const auto again = run_experiment(load_experiment(file, {"output=" + dir.file("out"), "threads=2"}), quiet);
  EXPECT_EQ(again.reused, 1);
  EXPECT_EQ(again.trained, 0);
  const auto changed = run_experiment(load_experiment(file, {"output=" + dir.file("out"), "steps=61"}), quiet);
  EXPECT_EQ(changed.trained, 1);
}

TEST(Sweep, SlurmArrayHasOneTaskPerRunIntoTheSameFolder) {
  TempDir dir;
  const auto file = dir.write("sweep.yaml", kSweep);
  const Experiment e = load_experiment(file, {"output=" + dir.file("out")});
  const std::string script = slurm_array_script(e, "/opt/graft/bin/graft", file, {"output=" + dir.file("out")}, 4);
  EXPECT_NE(script.find("#SBATCH --array=0-3\n"), std::string::npos) << script;
  EXPECT_NE(script.find("#SBATCH --cpus-per-task=4\n"), std::string::npos);
  EXPECT_NE(script.find("'/opt/graft/bin/graft' run '" + file + "' 'output=" + dir.file("out") +
                        "' --run \"$SLURM_ARRAY_TASK_ID\" --no-progress threads=\"$SLURM_CPUS_PER_TASK\""),
            std::string::npos)
      << script;
  EXPECT_NE(script.find("#     3  dann__seed1"), std::string::npos) << script;
}

}  // namespace
}  // namespace graft::testing
