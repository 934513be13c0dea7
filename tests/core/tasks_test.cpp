#include "core/tasks.h"

#include <gtest/gtest.h>

namespace graft {
namespace {

TEST(Tasks, ParsedWithDefaultsAndTargetFromTheName) {
  const auto tasks = parse_tasks(parse_config_text("{left: {}, sum: {loss: mse, target: total}}", "t"), "tasks");
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].target, "left");
  EXPECT_EQ(tasks[0].loss, "cross_entropy");
  EXPECT_EQ(tasks[1].target, "total");
  EXPECT_EQ(dump_tasks(tasks).find("sum")->find("loss")->text(), "mse");
}

TEST(Tasks, UnknownLossListsTheChoices) {
  try {
    parse_tasks(parse_config_text("{left: {loss: hinge}}", "f.yaml"), "tasks");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("tasks.left.loss"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cross_entropy, mse"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace graft
