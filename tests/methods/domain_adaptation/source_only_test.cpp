#include "methods/domain_adaptation/source_only.h"

#include <gtest/gtest.h>

#include "core/experiment.h"
#include "core/trainer.h"
#include "tests/test_util.h"

namespace graft {
namespace {

TEST(SourceOnly, LearnsTheSourceAndNeverSeesTargetLabels) {
  testing::TempDir dir;
  const auto file = dir.write("e.yaml", R"(name: so
data: {source: {name: two_moons}, target: {name: two_moons, rotation: 35}}
model: {name: mlp, hidden: [15]}
method: {name: source_only}
optimizer: {name: sgd, lr: 0.05}
steps: 800
threads: 1
)");
  const RunRecord r = train_run(load_experiment(file, {}).runs[0], dir.file("run"), {false, ""});
  ASSERT_EQ(r.status, "finished") << r.message;
  EXPECT_GT(r.final_metrics.at("source.test_acc"), 0.95);
  // The rotated target is harder: clearly below the source.
  EXPECT_LT(r.final_metrics.at("target.test_acc"), r.final_metrics.at("source.test_acc") - 0.05);
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
