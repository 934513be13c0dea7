#include "core/sweep_plan.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/test_util.h"

namespace graft::testing {
namespace {

TEST(SweepPlan, ReadsBackWhatItWrites) {
  SweepPlan plan;
  plan.experiment = "office31";
  plan.variants = {"dann task=A2W", "it's \"quoted\": yes"};
  plan.report = {"target.test_acc"};
  plan.selection = {"source.val_acc"};
  plan.delta_m = {{"left.test_acc", "stl_left"}};
  plan.columns = ColumnAxis{"task", {"A2W", "D2W"}};
  plan.runs = {{"dann_task_A2W__seed0", "dann task=A2W", 0, "00ff"}, {"x__seed12", "it's \"quoted\": yes", 12, "ab12"}};
  TempDir dir;
  const SweepPlan back = read_sweep_plan(dir.write("sweep.yaml", sweep_plan_yaml(plan)));
  EXPECT_EQ(back.experiment, plan.experiment);
  EXPECT_EQ(back.variants, plan.variants);
  EXPECT_EQ(back.report, plan.report);
  EXPECT_EQ(back.selection, plan.selection);
  EXPECT_EQ(back.delta_m, plan.delta_m);
  EXPECT_EQ(back.columns.axis, "task");
  EXPECT_EQ(back.columns.points, plan.columns.points);
  ASSERT_EQ(back.runs.size(), 2u);
  EXPECT_EQ(back.runs[1].variant, plan.runs[1].variant);
  EXPECT_EQ(back.runs[1].seed, 12);
  EXPECT_EQ(back.runs[1].identity, "ab12");
}

TEST(SweepPlan, ADamagedPlanNamesFileLineAndKey) {
  TempDir dir;
  const auto file = dir.write("sweep.yaml", "experiment: x\nvariants: [a]\nruns:\n  - {run_id: a__seed0, variant: a, seed: zero, identity: f}\n");
  try {
    read_sweep_plan(file);
    ADD_FAILURE() << "a seed that is not a number must be an error";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("sweep.yaml:4:"), std::string::npos) << message;
    EXPECT_NE(message.find("runs[0].seed"), std::string::npos) << message;
  }
  EXPECT_THROW(read_sweep_plan(dir.write("no_runs.yaml", "experiment: x\nvariants: [a]\n")), ConfigError);
}

}  // namespace
}  // namespace graft::testing
