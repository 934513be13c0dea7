#include "methods/domain_adaptation/adaptation.h"
#include "methods/domain_adaptation/dann.h"

#include <gtest/gtest.h>

#include "tests/methods/method_test_util.h"

namespace graft {
namespace {

TEST(DomainAdaptation, MismatchedDomainShapesAreAClearError) {
  const RunRecord r = [] {
    testing::TempDir dir;
    const auto file = dir.write("e.yaml", R"(name: shapes
data: {source: {name: mnist}, target: {name: mnist_m}}
model: {name: dann_mnist}
method: {name: dann}
steps: 1
)");
    return train_run(load_experiment(file, {}).runs[0], dir.file("run"), {false, ""});
  }();
  EXPECT_EQ(r.status, "failed");
  EXPECT_NE(r.message.find("differ in shape; set `channels` or `size`"), std::string::npos) << r.message;
}

TEST(DomainAdaptation, TargetLabelsNeverReachTheMethod) {
  Dann dann(DannOptions{});
  const auto streams = dann.streams();
  ASSERT_EQ(streams.size(), 2u);
  EXPECT_TRUE(streams[0].labelled);
  EXPECT_FALSE(streams[1].labelled);
  EXPECT_EQ(streams[1].domain, "target");
}

}  // namespace
}  // namespace graft
