#include "methods/fine_tuning/finetune.h"

#include <gtest/gtest.h>

#include "tests/methods/fine_tuning/fine_tuning_test_util.h"

namespace graft {
namespace {

// Full fine-tuning: the backbone is a parameter group at backbone_lr_factor
// and a step gives every backbone parameter a gradient.
TEST(Finetune, TrainsTheWholeBackboneAtItsFactor) {
  FullFineTuneOptions options;
  options.backbone_lr_factor = 0.1;
  FullFineTune method(options);
  method.setup(testing::toy_fine_tuning_setup("[4, 4]"));
  const auto groups = method.parameter_groups();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[1].name, "backbone");
  EXPECT_DOUBLE_EQ(groups[1].lr_factor, 0.1);
  StepContext step;
  step.total_steps = 10;
  step.batches["train"].inputs = torch::randn({4, 2});
  step.batches["train"].targets["label"] = torch::tensor({0, 1, 0, 1}, torch::kInt64);
  method.train_step(step);
  for (const auto& p : method.named_parameters()) EXPECT_TRUE(p.value().grad().defined()) << p.key();
}

}  // namespace
}  // namespace graft
