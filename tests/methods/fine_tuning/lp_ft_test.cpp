#include "methods/fine_tuning/lp_ft.h"

#include <gtest/gtest.h>

#include "tests/methods/fine_tuning/fine_tuning_test_util.h"

namespace graft {
namespace {

// LP-FT: the head alone for probe_fraction of the steps, then every layer.
TEST(LpFt, ProbesFirstThenTrainsEveryLayer) {
  LinearProbeThenFineTuneOptions options;  // probe_fraction 0.5 by default
  LinearProbeThenFineTune method(options);
  method.setup(testing::toy_fine_tuning_setup("[4, 4]"));
  const auto all = static_cast<std::int64_t>(method.layers().size());
  ASSERT_EQ(all, 2);
  EXPECT_EQ(method.layers_trainable(0, 100), 0);
  EXPECT_EQ(method.layers_trainable(49, 100), 0);
  EXPECT_EQ(method.layers_trainable(50, 100), all);
  EXPECT_EQ(method.layers_trainable(99, 100), all);
  auto gradients_at = [&](std::int64_t at) {
    method.zero_grad();
    StepContext step;
    step.step = at;
    step.total_steps = 100;
    step.batches["train"].inputs = torch::randn({4, 2});
    step.batches["train"].targets["label"] = torch::tensor({0, 1, 0, 1}, torch::kInt64);
    method.train_step(step);
    std::int64_t backbone_with_gradient = 0;
    for (const auto& p : method.named_parameters())
      if (p.key().rfind("backbone", 0) == 0 && p.value().grad().defined() && p.value().grad().abs().sum().item<double>() > 0)
        ++backbone_with_gradient;
    return backbone_with_gradient;
  };
  EXPECT_EQ(gradients_at(10), 0);  // probing: no backbone gradient
  EXPECT_GT(gradients_at(60), 0);  // fine-tuning: the backbone learns
}

}  // namespace
}  // namespace graft
