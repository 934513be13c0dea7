#include "methods/fine_tuning/gradual_unfreeze.h"

#include <gtest/gtest.h>

#include "core/registries.h"

namespace graft {
namespace {

TEST(GradualUnfreeze, OpensLayersFromTheTop) {
  GradualUnfreezeOptions options;
  options.unfreeze_fraction = 1.0;
  GradualUnfreeze method(options);
  torch::manual_seed(3);
  SetupContext ctx;
  auto data = std::make_shared<DataSet>();
  data->input_shape = {2};
  data->num_classes = 2;
  data->splits["train"].inputs = torch::randn({8, 2});
  ctx.domains["target"] = data;
  ctx.make_backbone = [](const std::vector<std::int64_t>& shape) {
    return model_registry().create(parse_config_text("{name: mlp, hidden: [4, 4, 4]}", "t"), "model",
                                   ModelContext{shape});
  };
  method.setup(ctx);
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
