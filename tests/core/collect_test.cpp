// `graft report`'s reading side: finished results folders back into rows,
// with runs that failed, were killed or never started said, not averaged away.

#include "core/collect.h"

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/run_record.h"
#include "tests/test_util.h"

namespace graft::testing {
namespace {

constexpr const char* kReportSweep = R"(name: {name}
data: {{source: {{name: two_moons}}, target: {{name: two_moons, rotation: 35}}}}
model: {{name: mlp, hidden: [8]}}
optimizer: {{name: sgd, lr: 0.05, momentum: 0.9}}
steps: 20
eval_every: 10
threads: 1
checkpoint_every: 0
seeds: [0, 1, 2]
report: [target.test_acc]
selection: [source.val_acc]
variants:
{variants}
)";

/// Runs a tiny sweep through the `graft` binary into <dir>/results/<name>.
std::string run_sweep(TempDir& dir, const std::string& name, const std::string& variants) {
  const auto file = dir.write(name + ".yaml", fmt::format(kReportSweep, fmt::arg("name", name), fmt::arg("variants", variants)));
  const std::string command =
      graft_binary() + " run " + file + " output=" + dir.file("results") + " --no-progress > /dev/null 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return dir.file("results/" + name);
}

const SummaryRow& row_named(const Summary& summary, const std::string& variant) {
  for (const auto& row : summary.rows)
    if (row.variant == variant) return row;
  throw Error("no row " + variant);
}

TEST(Collect, AFinishedSweepGivesGraftRunsTableFromItsRecordsAlone) {
  TempDir dir;
  const std::string folder = run_sweep(dir, "pair", "  source_only: {method: {name: source_only}}\n  dann: {method: {name: dann}}");
  const CollectedRuns runs = collect_runs({folder});
  EXPECT_EQ(runs.title, "pair");
  EXPECT_EQ(runs.variants, (std::vector<std::string>{"source_only", "dann"}));
  EXPECT_EQ(runs.report, std::vector<std::string>{"target.test_acc"});
  EXPECT_EQ(runs.selection, std::vector<std::string>{"source.val_acc"});
  EXPECT_TRUE(runs.problems.empty()) << runs.problems.front();
  ASSERT_EQ(runs.runs.size(), 6u);
  const Summary summary = summarize(runs);
  const RunRecord record = read_run_record(folder + "/runs/dann__seed1/run.h5");
  EXPECT_EQ(row_named(summary, "dann").finished, 3);
  // The same numbers graft run wrote in its summary.
  EXPECT_NE(read_text(folder + "/summary.csv").find(format_csv(summary).substr(format_csv(summary).find("\ndann,"), 60)),
            std::string::npos)
      << format_csv(summary) << read_text(folder + "/summary.csv");
  EXPECT_GT(record.final_metrics.at("target.test_acc"), 0.0);
}

TEST(Collect, FailedKilledAndNeverStartedRunsAreSaidNotAveraged) {
  TempDir dir;
  const std::string folder = run_sweep(dir, "gaps", "  source_only: {method: {name: source_only}}\n  dann: {method: {name: dann}}");
  // Seed 1 of dann failed, seed 2 was killed mid-run, seed 0 of source_only never started.
  RunRecord failed = read_run_record(folder + "/runs/dann__seed1/run.h5");
  failed.status = "failed";
  failed.message = "'loss.task' became nan at step 12";
  write_run_record(folder + "/runs/dann__seed1/run.h5", failed);
  RunRecord killed = read_run_record(folder + "/runs/dann__seed2/run.h5");
  killed.status = "running";
  killed.steps_done = 10;
  write_run_record(folder + "/runs/dann__seed2/run.h5", killed);
  std::filesystem::remove_all(folder + "/runs/source_only__seed0");

  const CollectedRuns runs = collect_runs({folder});
  const Summary summary = summarize(runs);
  const SummaryRow& dann = row_named(summary, "dann");
  EXPECT_EQ(dann.runs, 3);
  EXPECT_EQ(dann.finished, 1);
  EXPECT_EQ(dann.failed, 1);
  EXPECT_EQ(dann.pending, 1);
  EXPECT_EQ(dann.metrics.at("target.test_acc").n, 1);
  const SummaryRow& source_only = row_named(summary, "source_only");
  EXPECT_EQ(source_only.runs, 3) << "the run that never started is expected by experiment.yaml";
  EXPECT_EQ(source_only.pending, 1);
  const std::string table = format_text_table(summary);
  EXPECT_NE(table.find("1/3 (1 failed, 1 pending)"), std::string::npos) << table;
  EXPECT_NE(table.find("2/3 (1 pending)"), std::string::npos) << table;
  bool said_killed = false, said_missing = false;
  for (const auto& run : runs.runs) {
    said_killed = said_killed || run.record.message.find("step 10 of 20") != std::string::npos;
    said_missing = said_missing || run.record.message.find("never started") != std::string::npos;
  }
  EXPECT_TRUE(said_killed);
  EXPECT_TRUE(said_missing);

  // A folder written before sweep.yaml existed: its experiment.yaml is expanded.
  std::filesystem::remove(folder + "/sweep.yaml");
  EXPECT_EQ(row_named(summarize(collect_runs({folder})), "source_only").runs, 3);
  // With neither, the seeds other variants have are expected.
  std::filesystem::remove(folder + "/experiment.yaml");
  const CollectedRuns inferred = collect_runs({folder});
  EXPECT_EQ(row_named(summarize(inferred), "source_only").runs, 3);
  EXPECT_EQ(row_named(summarize(inferred), "source_only").pending, 1);
}

// sweep.yaml lists every run of the file, also when `--variants` ran some:
// the rows not run yet are there, with nothing averaged.
TEST(Collect, RowsNotRunYetAreShownAsSuch) {
  TempDir dir;
  const auto file = dir.write("part.yaml", fmt::format(kReportSweep, fmt::arg("name", "part"),
                                                       fmt::arg("variants", "  source_only: {method: {name: source_only}}\n"
                                                                            "  dann: {method: {name: dann}}")));
  const std::string command = graft_binary() + " run " + file + " output=" + dir.file("results") +
                              " --variants dann --no-progress > /dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0);
  const Summary summary = summarize(collect_runs({dir.file("results/part")}));
  EXPECT_EQ(row_named(summary, "dann").finished, 3);
  EXPECT_EQ(row_named(summary, "source_only").runs, 3);
  EXPECT_EQ(row_named(summary, "source_only").pending, 3);
  EXPECT_EQ(row_named(summary, "source_only").metrics.at("target.test_acc").n, 0);
}

TEST(Collect, TwoSweepsRunApartAreOneTableAndClashingNamesArePrefixed) {
  TempDir dir;
  const std::string a = run_sweep(dir, "first", "  source_only: {method: {name: source_only}}\n  dann: {method: {name: dann}}");
  const std::string b = run_sweep(dir, "second", "  dann: {method: {name: dann, gamma: 5}}\n  cdan: {method: {name: cdan}}");
  const CollectedRuns runs = collect_runs({a, b});
  EXPECT_EQ(runs.title, "first + second");
  EXPECT_EQ(runs.variants,
            (std::vector<std::string>{"source_only", "first: dann", "second: dann", "cdan"}));
  CollectedRuns only = runs;
  keep_rows(only, {"dann"});
  EXPECT_EQ(only.variants, (std::vector<std::string>{"first: dann", "second: dann"}));
  EXPECT_EQ(only.runs.size(), 6u);
  try {
    keep_rows(only, {"dan"});
    ADD_FAILURE() << "a name that matches no row must be an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("first: dann"), std::string::npos) << e.what();
  }
  // The folder above both is the same report.
  EXPECT_EQ(collect_runs({dir.file("results")}).runs.size(), runs.runs.size());
  EXPECT_THROW(collect_runs({dir.file("nothing_here")}), Error);
}

TEST(Collect, TheReportCommandWritesEveryFormat) {
  TempDir dir;
  const std::string folder = run_sweep(dir, "cli", "  source_only: {method: {name: source_only}}\n  dann: {method: {name: dann}}");
  const std::string command = graft_binary() + " report " + folder + " --format latex --spread se > " +
                              dir.file("out.tex") + " 2> " + dir.file("err.txt");
  ASSERT_EQ(std::system(command.c_str()), 0) << read_text(dir.file("err.txt"));
  const std::string latex = read_text(dir.file("out.tex"));
  EXPECT_NE(latex.find("\\toprule"), std::string::npos) << latex;
  EXPECT_NE(latex.find("standard error"), std::string::npos) << latex;
  EXPECT_NE(latex.find("source\\_only"), std::string::npos) << latex;
  for (const char* file : {"report.md", "report.csv", "report.tex", "report.html"})
    EXPECT_TRUE(std::filesystem::exists(folder + "/report/" + file)) << file;
  const std::string bad = graft_binary() + " report " + folder + " --spread sd 2> " + dir.file("bad.txt");
  EXPECT_NE(std::system(bad.c_str()), 0);
  EXPECT_NE(read_text(dir.file("bad.txt")).find("std"), std::string::npos) << read_text(dir.file("bad.txt"));
}

}  // namespace
}  // namespace graft::testing
