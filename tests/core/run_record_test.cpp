#include "core/run_record.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/test_util.h"

namespace graft {
namespace {

TEST(ScalarTable, AlignsColumnsWithNaN) {
  ScalarTable t;
  t.append(0, {{"a", 1.0}});
  t.append(5, {{"b", 2.0}});
  ASSERT_EQ(t.steps, (std::vector<std::int64_t>{0, 5}));
  EXPECT_TRUE(std::isnan(t.columns["b"][0]));
  EXPECT_TRUE(std::isnan(t.columns["a"][1]));
  t.truncate_from(5);
  EXPECT_EQ(t.steps.size(), 1u);
  EXPECT_EQ(t.last(), (std::map<std::string, double>{{"a", 1.0}}));
}

TEST(RunRecord, RoundTripsThroughHdf5) {
  testing::TempDir dir;
  RunRecord r;
  r.status = "finished";
  r.variant = "dann";
  r.run_id = "dann__seed1";
  r.seed = 1;
  r.config_yaml = "name: ü\n";
  r.wall_time_s = 1.5;
  r.train.append(0, {{"loss.task", 0.7}});
  r.train.append(10, {{"loss.task", 0.3}, {"lambda", 0.5}});
  r.eval.append(10, {{"target.test_acc", 0.9}});
  r.final_metrics = {{"target.test_acc", 0.9}};
  r.classes["source"] = {"back_pack", "bike", "café"};  // the class list, in label order
  const auto path = dir.file("runs/x/run.h5");
  write_run_record(path, r);
  EXPECT_EQ(dir.files_in("runs/x"), std::vector<std::string>{"run.h5"});  // no temporary left
  const RunRecord back = read_run_record(path);
  EXPECT_EQ(back.status, "finished");
  EXPECT_EQ(back.variant, "dann");
  EXPECT_EQ(back.seed, 1);
  EXPECT_EQ(back.config_yaml, "name: ü\n");
  EXPECT_EQ(back.wall_time_s, 1.5);
  EXPECT_EQ(back.train.steps, r.train.steps);
  EXPECT_EQ(back.train.columns.at("loss.task"), r.train.columns.at("loss.task"));
  EXPECT_TRUE(std::isnan(back.train.columns.at("lambda")[0]));
  EXPECT_EQ(back.final_metrics, r.final_metrics);
  EXPECT_EQ(back.classes, r.classes);
}

TEST(RunRecord, ForeignOrDamagedFileGivesClearError) {
  testing::TempDir dir;
  const auto path = dir.write("run.h5", "not hdf5 at all");
  try {
    read_run_record(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("not an HDF5 file"), std::string::npos);
  }
  EXPECT_THROW(read_run_record(dir.file("missing.h5")), Error);
}

}  // namespace
}  // namespace graft
