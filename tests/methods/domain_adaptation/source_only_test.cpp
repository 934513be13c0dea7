#include "methods/domain_adaptation/source_only.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace graft
