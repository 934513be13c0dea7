#include "methods/domain_adaptation/source_only.h"

#include <gtest/gtest.h>

#include "core/config.h"
#include "core/registries.h"
#include "tests/methods/method_test_util.h"

namespace graft {
namespace {

TEST(SourceOnlyOutcome, LearnsTheSourceAndNeverSeesTargetLabels) {
  const std::string experiment = R"(name: so
data: {source: {name: two_moons}, target: {name: two_moons, rotation: 35}}
model: {name: mlp, hidden: [15]}
optimizer: {name: sgd, lr: 0.05, momentum: 0.9}
steps: 800
threads: 1
checkpoint_every: 0
)";
  for (std::int64_t seed : testing::outcome_seeds({0, 1, 2})) {
    const RunRecord r = testing::train_small(experiment, "{name: source_only}", seed);
    const double source = r.final_metrics.at("source.test_acc"), target = r.final_metrics.at("target.test_acc");
    testing::print_outcome(seed, {{"source", source}, {"target", target}});
    EXPECT_GT(source, 0.95) << "seed " << seed;
    // The rotated target is harder: clearly below the source.
    EXPECT_LT(target, source - 0.05) << "seed " << seed;
  }
}

TEST(SourceOnly, AsksForOneLabelledStream) {
  SourceOnly method(SourceOnlyOptions{});
  const auto streams = method.streams();
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_EQ(streams[0].domain, "source");
  EXPECT_TRUE(streams[0].labelled);
}

TEST(SourceOnly, TLlibsBottleneckAndASlowerBackbone) {
  SourceOnlyOptions options;
  options.bottleneck = 8;
  options.backbone_lr = 0.1;
  SourceOnly method(options);
  SetupContext ctx;
  auto data = std::make_shared<DataSet>();
  data->input_shape = {2};
  data->num_classes = 3;
  ctx.domains["source"] = data;
  ctx.make_backbone = [](const std::vector<std::int64_t>& shape) {
    return model_registry().create(parse_config_text("{name: mlp, hidden: [5]}", "t"), "model", ModelContext{shape});
  };
  method.setup(ctx);
  const auto groups = method.parameter_groups();
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].name, "backbone");
  EXPECT_DOUBLE_EQ(groups[0].lr_factor, 0.1);
  EXPECT_EQ(groups[1].name, "bottleneck");  // Linear 5 -> 8, BatchNorm (weight, bias), at the full rate
  EXPECT_EQ(groups[1].parameters.size(), 4u);
  EXPECT_DOUBLE_EQ(groups[1].lr_factor, 1.0);
  method.eval();
  EXPECT_EQ(method.features(torch::zeros({4, 2})).sizes(), (std::vector<std::int64_t>{4, 8}));
  // DANN on the bottleneck's features: its discriminator takes 8 inputs, and it trains.
  const RunRecord r =
      testing::train_small(testing::kRotatedMoons, "{name: dann, bottleneck: 8, backbone_lr: 0.1}", 0, {"steps=20"});
  EXPECT_EQ(r.status, "finished");
}

}  // namespace
}  // namespace graft
