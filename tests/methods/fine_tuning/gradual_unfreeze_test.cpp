#include "methods/fine_tuning/gradual_unfreeze.h"

#include <gtest/gtest.h>

#include "tests/methods/fine_tuning/fine_tuning_test_util.h"

namespace graft {
namespace {

TEST(GradualUnfreeze, OpensLayersFromTheTop) {
  GradualUnfreezeOptions options;
  options.unfreeze_fraction = 1.0;
  GradualUnfreeze method(options);
  method.setup(testing::toy_fine_tuning_setup("[4, 4, 4]"));
  const auto layers = method.layers();
  ASSERT_EQ(layers.size(), 3u);
  // 3 layers, 4 stages over 100 steps: head only, then +1 layer every 25 steps.
  EXPECT_EQ(method.layers_trainable(0, 100), 0);
  EXPECT_EQ(method.layers_trainable(24, 100), 0);
  EXPECT_EQ(method.layers_trainable(25, 100), 1);
  EXPECT_EQ(method.layers_trainable(74, 100), 2);
  EXPECT_EQ(method.layers_trainable(75, 100), 3);
  EXPECT_EQ(method.layers_trainable(99, 100), 3);
  // A step at stage 1 gives gradients to the top layer only.
  StepContext step;
  step.step = 30;
  step.total_steps = 100;
  step.batches["train"].inputs = torch::randn({4, 2});
  step.batches["train"].targets["label"] = torch::tensor({0, 1, 0, 1}, torch::kInt64);
  method.train_step(step);
  for (const auto& p : method.named_parameters()) {
    const bool top = p.key().rfind("backbone." + layers.back(), 0) == 0 || p.key().rfind("head", 0) == 0;
    EXPECT_EQ(p.value().grad().defined(), top) << p.key();
  }
}

}  // namespace
}  // namespace graft
