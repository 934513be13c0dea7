#include "core/analysis.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/experiment.h"
#include "core/trainer.h"
#include "tests/test_util.h"

namespace graft {
namespace {

constexpr const char* kAnalysisMoons = R"(name: moons
data: {source: {name: two_moons}, target: {name: two_moons, rotation: 35}}
model: {name: mlp, hidden: [15]}
method: {name: dann}
optimizer: {name: sgd, lr: 0.05, momentum: 0.9}
steps: 300
eval_every: 300
checkpoint_every: 300
threads: 1
seeds: [4]
)";

TEST(Analysis, MeasuresAFinishedRunFromItsStartToItsEnd) {
  testing::TempDir dir;
  const auto file = dir.write("e.yaml", kAnalysisMoons);
  const RunConfig run = load_experiment(file, {}).runs[0];
  const std::string run_dir = dir.file("runs/" + run.run_id);
  ASSERT_EQ(train_run(run, run_dir, {false, ""}).status, "finished");
  // The run read back from its folder is the run that was trained.
  const RunConfig saved = load_saved_run(run_dir);
  EXPECT_EQ(saved.resolved.to_yaml(), run.resolved.to_yaml());
  EXPECT_EQ(saved.run_id, run.run_id);

  AnalysisOptions options;
  options.examples = 200;
  const RunAnalysis a = analyze_run(run_dir, options);
  EXPECT_EQ(a.variant, "dann");
  EXPECT_EQ(a.seed, 4);
  // The rebuilt start reproduces the features the run saved at step 0.
  EXPECT_TRUE(a.notes.empty()) << a.notes.front();
  ASSERT_EQ(a.distances.size(), 1u);
  EXPECT_EQ(a.distances[0].first, "source");
  EXPECT_EQ(a.distances[0].second, "target");
  EXPECT_EQ(a.distances[0].per_domain, 200);
  for (double d : {a.distances[0].before, a.distances[0].after}) {
    EXPECT_GE(d, 0.0);
    EXPECT_LE(d, 2.0);
  }
  // Before and after are different networks: the domain classifier errs differently.
  EXPECT_NE(a.distances[0].error_before, a.distances[0].error_after);
  ASSERT_EQ(a.picture, run_dir + "/features_tsne.svg");
  std::ifstream svg(a.picture);
  const std::string text((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("before training"), std::string::npos);
  EXPECT_NE(text.find("after training"), std::string::npos);

  // Same run, same numbers.
  options.picture = "none";
  const RunAnalysis again = analyze_run(run_dir, options);
  EXPECT_EQ(again.distances[0].before, a.distances[0].before);
  EXPECT_EQ(again.distances[0].after, a.distances[0].after);
  EXPECT_TRUE(again.picture.empty());

  const std::string table = format_analysis_table({a, again});
  EXPECT_NE(table.find("moons/dann seed 4"), std::string::npos) << table;
  EXPECT_NE(table.find("source vs target"), std::string::npos) << table;
  EXPECT_NE(table.find("(2 seeds)"), std::string::npos) << table;
  EXPECT_EQ(find_run_folders({dir.path()}), std::vector<std::string>{run_dir});
}

TEST(Analysis, AnUnfinishedRunOrAFolderWithoutRunsIsAnErrorThatSaysWhat) {
  testing::TempDir dir;
  const auto file = dir.write("e.yaml", std::string(kAnalysisMoons) + "output: " + dir.path() + "\n");
  // A real `graft run` killed right after its checkpoint at step 10 of 20.
  const std::string command = "GRAFT_KILL_AT=checkpoint-10 " + testing::graft_binary() + " run " + file +
                              " steps=20 eval_every=10 checkpoint_every=10 --no-progress > " + dir.file("log") +
                              " 2>&1";
  EXPECT_NE(std::system(command.c_str()), 0);
  const std::string run_dir = dir.file("moons/runs/dann__seed4");
  ASSERT_TRUE(std::filesystem::exists(run_dir + "/run.h5")) << testing::read_text(dir.file("log"));
  try {
    analyze_run(run_dir, {});
    FAIL() << "no error for an unfinished run";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not finished"), std::string::npos) << e.what();
  }
  std::filesystem::create_directories(dir.file("empty"));
  EXPECT_THROW(find_run_folders({dir.file("empty")}), Error);
}

}  // namespace
}  // namespace graft
