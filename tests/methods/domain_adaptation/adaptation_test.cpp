#include "methods/domain_adaptation/adaptation.h"
#include "methods/domain_adaptation/dann.h"

#include <cmath>

#include <fmt/format.h>
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


// Row 0: softmax max e^2 / (e^2 + 2) = 0.787; row 1: e^0.1 / (e^0.1 + 2) = 0.356.
TEST(DomainAdaptation, UnknownColumnWinsExactlyBelowTheThreshold) {
  const auto logits = torch::tensor({{2.0, 0.0, 0.0}, {0.1, 0.0, 0.0}}, torch::kFloat64);
  const auto at_half = with_unknown_column(logits, 0.5);
  ASSERT_EQ(at_half.sizes(), (std::vector<std::int64_t>{2, 4}));
  EXPECT_TRUE(torch::equal(at_half.slice(1, 0, 3), logits));  // the known columns are untouched
  EXPECT_NEAR(at_half[1][3].item<double>(), std::log(std::exp(0.1) + 2.0) + std::log(0.5), 1e-12);
  EXPECT_EQ(at_half.argmax(1)[0].item<std::int64_t>(), 0);
  EXPECT_EQ(at_half.argmax(1)[1].item<std::int64_t>(), 3);  // 0.356 < 0.5: unknown
  const auto at_03 = with_unknown_column(logits, 0.3);
  EXPECT_EQ(at_03.argmax(1)[1].item<std::int64_t>(), 0);  // 0.356 >= 0.3: kept
  EXPECT_EQ(with_unknown_column(logits, 0.8).argmax(1)[0].item<std::int64_t>(), 3);  // 0.787 < 0.8
  EXPECT_TRUE(with_unknown_column(logits, 0.0).is_same(logits));
}

// The option reaches evaluation in each kind of model: a threshold of 1
// calls every prediction unknown, none calls none.
TEST(DomainAdaptation, UnknownBelowGivesClosedSetModelsOpenSetScores) {
  for (const char* method : {"source_only", "dann", "mcd"}) {
    SCOPED_TRACE(method);
    const auto closed =
        testing::train_small(testing::kOpenSetBlobs, fmt::format("{{name: {}}}", method), 0, {"steps=300"})
            .final_metrics;
    EXPECT_EQ(closed.at("target.test_unk"), 0.0);
    EXPECT_GT(closed.at("target.test_os_star"), 0.5);
    const auto all_unknown =
        testing::train_small(testing::kOpenSetBlobs, fmt::format("{{name: {}, unknown_below: 1}}", method), 0,
                             {"steps=300"})
            .final_metrics;
    EXPECT_EQ(all_unknown.at("target.test_unk"), 1.0);
    EXPECT_EQ(all_unknown.at("target.test_os_star"), 0.0);
    EXPECT_EQ(all_unknown.at("source.test_acc"), 0.0);
  }
}

}  // namespace
}  // namespace graft
