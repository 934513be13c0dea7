#include "core/strategy.h"

#include <gtest/gtest.h>

#include "core/data.h"

namespace graft {
namespace {

// Known classes 0, 1 (K = 2), unknown label 2.
//   class 0: 4 examples, predicted 0 0 0 1 -> 3/4
//   class 1: 2 examples, predicted 1 2     -> 1/2   OS* = (3/4 + 1/2) / 2 = 5/8
//   unknown: 4 examples, predicted 2 5 0 1 -> 2/4 (5 >= K counts as unknown)
//   HOS = 2 (5/8)(1/2) / (5/8 + 1/2) = 5/9
TEST(OpenSetScores, MatchAHandComputedCase) {
  const auto labels = torch::tensor({0, 0, 0, 0, 1, 1, 2, 2, 2, 2}, torch::kInt64);
  const auto predicted = torch::tensor({0, 0, 0, 1, 1, 2, 2, 5, 0, 1}, torch::kInt64);
  const OpenSetScores s = open_set_scores(predicted, labels, 2);
  EXPECT_DOUBLE_EQ(s.os_star, 5.0 / 8.0);
  EXPECT_DOUBLE_EQ(s.unk, 0.5);
  EXPECT_DOUBLE_EQ(s.hos, 5.0 / 9.0);
}

// A closed-set head never says "unknown": UNK and HOS are 0 however good OS* is.
TEST(OpenSetScores, AClosedSetClassifierScoresNoHos) {
  const auto labels = torch::tensor({0, 1, 2}, torch::kInt64);
  const OpenSetScores s = open_set_scores(torch::tensor({0, 1, 1}, torch::kInt64), labels, 2);
  EXPECT_DOUBLE_EQ(s.os_star, 1.0);
  EXPECT_DOUBLE_EQ(s.unk, 0.0);
  EXPECT_DOUBLE_EQ(s.hos, 0.0);
}

TEST(EvaluateClassifier, AnOpenSetDomainGetsItsScoresBesideTheAccuracy) {
  auto data = std::make_shared<DataSet>();
  data->name = "t";
  data->num_classes = 3;
  data->unknown_class = 2;
  data->input_shape = {1};
  Split test;
  // The "logits" are the inputs' one-hot rows: predictions 0, 1, 1, 2.
  test.inputs = torch::tensor({{1.f, 0.f, 0.f}, {0.f, 1.f, 0.f}, {0.f, 1.f, 0.f}, {0.f, 0.f, 1.f}});
  test.targets["label"] = torch::tensor({0, 1, 2, 2}, torch::kInt64);
  data->splits["test"] = test;
  data->splits["train"] = test;
  auto closed = std::make_shared<DataSet>(*data);
  closed->unknown_class = -1;
  EvalContext ctx;
  ctx.domains = {{"target", data}, {"source", closed}};
  const Metrics m = evaluate_classifier(ctx, [](const torch::Tensor& x) { return x; });
  EXPECT_DOUBLE_EQ(m.at("target.test_acc"), 0.75);
  EXPECT_DOUBLE_EQ(m.at("target.test_os_star"), 1.0);
  EXPECT_DOUBLE_EQ(m.at("target.test_unk"), 0.5);
  EXPECT_DOUBLE_EQ(m.at("target.test_hos"), 2.0 * 0.5 / 1.5);
  EXPECT_EQ(m.count("source.test_hos"), 0u);
  EXPECT_EQ(m.count("target.val_acc"), 0u);
}

}  // namespace
}  // namespace graft
