#include "methods/domain_adaptation/pada.h"

#include <cmath>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/registries.h"
#include "core/run_record.h"
#include "tests/checkpoint_util.h"
#include "tests/methods/method_test_util.h"

namespace graft {
namespace {

using testing::expect_error_containing;

namespace F = torch::nn::functional;

/// Partial DA on blobs: the source has all 6 classes, the target only 0-2,
/// on a ring rotated by 30 degrees: target class 1 then lies on the source's
/// boundary between classes 1 and 2. 30 rather than 25: PADA's gain over DANN
/// was larger and steadier there (see PadaOutcome below).
constexpr const char* kPadaPartialBlobs = R"(name: partial
data: {source: {name: blobs}, target: {name: class_subset, of: {name: blobs, rotation: 30}, keep: [0, 1, 2]}}
model: {name: mlp, hidden: [32]}
optimizer: {name: sgd, lr: 0.05, momentum: 0.9}
steps: 3000
threads: 1
checkpoint_every: 0
)";

// Two target examples, K = 3.
//   T = 1:   softmax(ln 2, 0, 0) = (1/2, 1/4, 1/4), softmax(0, ln 2, 0) = (1/4, 1/2, 1/4);
//            mean (3/8, 3/8, 1/4), divided by 3/8: gamma = (1, 1, 2/3).
//   T = 1/2: the logits double, softmax(ln 4, 0, 0) = (4/6, 1/6, 1/6) and (1/6, 4/6, 1/6);
//            mean (5/12, 5/12, 2/12), divided by 5/12: gamma = (1, 1, 2/5).
// Entropy of gamma / sum(gamma) = (3/8, 3/8, 1/4) at T = 1:
//   2 (3/8) ln(8/3) + (1/4) ln 4 = 0.73562... + 0.34657... = 1.0821955300.
TEST(Pada, ClassWeightsMatchAHandComputedCase) {
  const auto logits = torch::tensor({{std::log(2.0), 0.0, 0.0}, {0.0, std::log(2.0), 0.0}}, torch::kFloat64);
  const auto mean = pada_mean_prediction(logits, 1.0);
  EXPECT_TRUE(torch::allclose(mean, torch::tensor({0.375, 0.375, 0.25}, torch::kFloat64), 0.0, 1e-15)) << mean;
  const auto gamma = pada_class_weights(mean);
  EXPECT_TRUE(torch::allclose(gamma, torch::tensor({1.0, 1.0, 2.0 / 3.0}, torch::kFloat64), 0.0, 1e-15)) << gamma;
  const auto sharp = pada_class_weights(pada_mean_prediction(logits, 0.5));
  EXPECT_TRUE(torch::allclose(sharp, torch::tensor({1.0, 1.0, 0.4}, torch::kFloat64), 0.0, 1e-15)) << sharp;

  EXPECT_NEAR(pada_class_weight_entropy(gamma), 0.75 * std::log(8.0 / 3.0) + 0.25 * std::log(4.0), 1e-15);
  EXPECT_NEAR(pada_class_weight_entropy(gamma), 1.0821955300, 1e-10);
  // Every weight 1: log K; a class of weight 0 adds nothing.
  EXPECT_NEAR(pada_class_weight_entropy(torch::ones({6})), std::log(6.0), 1e-12);
  EXPECT_NEAR(pada_class_weight_entropy(torch::tensor({1.0, 0.0, 1.0})), std::log(2.0), 1e-12);
}

// K = 3, gamma = (1, 1/2, 0).
//   logits (0, 0, 0), label 0: CE = ln 3, weight 1;
//   logits (ln 2, 0, 0), label 1: softmax (1/2, 1/4, 1/4), CE = ln 4, weight 1/2;
//   logits (0, 0, 5), label 2: weight 0.
//   (ln 3 + ln 4 / 2) / (1 + 1/2) = ln 6 / 1.5 = 1.1945063128.
// It is PyTorch's cross_entropy with `weight` (TLlib's and the authors' L_y).
TEST(Pada, ClassificationLossMatchesAHandComputedCase) {
  const auto logits = torch::tensor({{0.0, 0.0, 0.0}, {std::log(2.0), 0.0, 0.0}, {0.0, 0.0, 5.0}}, torch::kFloat64);
  const auto labels = torch::tensor({0, 1, 2}, torch::kInt64);
  const auto gamma = torch::tensor({1.0, 0.5, 0.0}, torch::kFloat64);
  const double expected = std::log(6.0) / 1.5;
  EXPECT_NEAR(expected, 1.1945063128, 1e-10);
  EXPECT_NEAR(pada_classification_loss(logits, labels, gamma).item<double>(), expected, 1e-14);
  EXPECT_NEAR(pada_classification_loss(logits, labels, gamma).item<double>(),
              F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().weight(gamma)).item<double>(), 1e-14);
  // Every weight 1: the plain mean cross-entropy (DANN's L_y).
  EXPECT_NEAR(pada_classification_loss(logits, labels, torch::ones({3}, torch::kFloat64)).item<double>(),
              F::cross_entropy(logits, labels).item<double>(), 1e-14);
}

// A batch of outlier-class examples only, every weight 0: PyTorch's weighted
// mean is 0/0; PADA's loss is 0 with a zero gradient, so the run goes on.
TEST(Pada, ABatchOfZeroWeightsGivesAZeroClassificationLoss) {
  auto logits = torch::tensor({{1.0, 2.0, 0.0}, {0.0, 0.5, 3.0}}, torch::kFloat64).requires_grad_(true);
  const auto labels = torch::tensor({1, 2}, torch::kInt64);
  const auto gamma = torch::tensor({1.0, 0.0, 0.0}, torch::kFloat64);
  ASSERT_TRUE(std::isnan(F::cross_entropy(logits.detach(), labels, F::CrossEntropyFuncOptions().weight(gamma))
                             .item<double>()));
  const auto loss = pada_classification_loss(logits, labels, gamma);
  EXPECT_EQ(loss.item<double>(), 0.0);
  loss.backward();
  EXPECT_EQ(logits.grad().abs().max().item<double>(), 0.0) << logits.grad();
}

// Source rows (label 0) with logits (0, ln 3) and weights (1, 1/2); target
// rows (label 1) with logits (0, ln 3).
//   source BCE = ln(1 + e^z): ln 2 and ln 4; weighted ln 2 + ln 4 / 2 = 2 ln 2.
//   target BCE = ln(1 + e^-z): ln 2 and ln(4/3), sum ln(8/3).
//   source_mean: the target rows weigh (1 + 1/2) / 2 = 3/4 each:
//     (2 ln 2 + (3/4) ln(8/3)) / 4 = 0.5304790752;
//   one: (2 ln 2 + ln(8/3)) / 4 = 0.5917809035.
TEST(Pada, DomainLossMatchesAHandComputedCase) {
  const auto domain_logits = torch::tensor({0.0, std::log(3.0), 0.0, std::log(3.0)}, torch::kFloat64);
  const auto source_weights = torch::tensor({1.0, 0.5}, torch::kFloat64);
  const auto mean_weights = pada_target_weights(source_weights, 2, "source_mean");
  EXPECT_TRUE(torch::allclose(mean_weights, torch::full({2}, 0.75, torch::kFloat64), 0.0, 1e-15)) << mean_weights;
  const auto ones = pada_target_weights(source_weights, 2, "one");
  EXPECT_TRUE(torch::equal(ones, torch::ones({2}, torch::kFloat64))) << ones;

  const double expected_mean = (2.0 * std::log(2.0) + 0.75 * std::log(8.0 / 3.0)) / 4.0;
  const double expected_one = (2.0 * std::log(2.0) + std::log(8.0 / 3.0)) / 4.0;
  EXPECT_NEAR(expected_mean, 0.5304790752, 1e-10);
  EXPECT_NEAR(expected_one, 0.5917809035, 1e-10);
  EXPECT_NEAR(pada_domain_loss(domain_logits, source_weights, mean_weights).item<double>(), expected_mean, 1e-14);
  EXPECT_NEAR(pada_domain_loss(domain_logits, source_weights, ones).item<double>(), expected_one, 1e-14);

  // Every weight 1: DANN's loss, bit for bit (the mean over both domains, target label 1).
  const auto labels = torch::tensor({0.0, 0.0, 1.0, 1.0}, torch::kFloat64);
  EXPECT_EQ(pada_domain_loss(domain_logits, torch::ones({2}, torch::kFloat64), ones).item<double>(),
            F::binary_cross_entropy_with_logits(domain_logits, labels).item<double>());
}

// The losses are built from libtorch's own operations; the check is that
// the weights enter where they should, and that no gradient reaches them.
TEST(Pada, LossGradientsMatchFiniteDifferences) {
  torch::manual_seed(0);
  const auto logits = torch::randn({6, 4}, torch::kFloat64) * 2.0;
  const auto labels = torch::tensor({0, 1, 2, 3, 1, 0}, torch::kInt64);
  const auto gamma = torch::tensor({1.0, 0.3, 0.0, 0.7}, torch::kFloat64);
  auto x = logits.clone().requires_grad_(true);
  pada_classification_loss(x, labels, gamma).backward();
  const auto numeric = testing::numeric_gradient(
      [&](const torch::Tensor& z) { return pada_classification_loss(z, labels, gamma); }, logits);
  EXPECT_TRUE(torch::allclose(x.grad(), numeric, 1e-6, 1e-8)) << (x.grad() - numeric).abs().max().item<double>();
  // Rows of weight 0 get no gradient.
  EXPECT_EQ(x.grad()[2].abs().max().item<double>(), 0.0);

  const auto domain_logits = torch::randn({8}, torch::kFloat64) * 2.0;
  const auto source_weights = gamma.index_select(0, torch::tensor({0, 1, 2, 3, 1}, torch::kInt64));
  for (const char* mode : {"source_mean", "one"}) {
    const auto target_weights = pada_target_weights(source_weights, 3, mode);
    auto d = domain_logits.clone().requires_grad_(true);
    pada_domain_loss(d, source_weights, target_weights).backward();
    const auto numeric_d = testing::numeric_gradient(
        [&](const torch::Tensor& z) { return pada_domain_loss(z, source_weights, target_weights); }, domain_logits);
    EXPECT_TRUE(torch::allclose(d.grad(), numeric_d, 1e-6, 1e-8))
        << mode << ": " << (d.grad() - numeric_d).abs().max().item<double>();
  }
}

TEST(Pada, RejectsMismatchedShapesAndAnUnknownTargetWeight) {
  const auto logits = torch::zeros({4, 3});
  const auto labels = torch::zeros({4}, torch::kInt64);
  expect_error_containing([&] { pada_classification_loss(logits, labels, torch::ones({2})); },
                    "pada: expected one class weight per class (3), got [2]");
  expect_error_containing([&] { pada_classification_loss(logits, torch::zeros({3}, torch::kInt64), torch::ones({3})); },
                    "pada: the classification loss expects logits [batch, classes] and labels [batch], got [4, 3] "
                    "and [3]");
  expect_error_containing([&] { pada_mean_prediction(torch::zeros({0, 3}), 1.0); },
                    "pada: the class weights need logits [examples, classes] of at least one example, got [0, 3]");
  expect_error_containing([&] { pada_mean_prediction(logits, 0.0); }, "pada: temperature must be positive, got 0");
  expect_error_containing([&] { pada_domain_loss(torch::zeros({5}), torch::ones({2}), torch::ones({2})); },
                    "pada: the domain loss expects domain logits [source rows + target rows] and one weight per "
                    "row, got [5], [2] and [2]");
  expect_error_containing([&] { pada_target_weights(torch::ones({2}), 2, "mean"); }, "pada: target_weight 'mean'");
}

TEST(Pada, BadOptionsAreConfigErrorsThatNameTheOption) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"{name: pada, update_steps: 0}", "update_steps"},
      {"{name: pada, temperature: 0}", "temperature"},
      {"{name: pada, target_weight: mean}", "source_mean"},
  };
  for (const auto& [method, expected] : cases) {
    testing::TempDir dir;
    const auto file = dir.write("e.yaml", std::string(kPadaPartialBlobs) + "method: " + method + "\n");
    try {
      load_experiment(file, {});
      ADD_FAILURE() << method << " was accepted";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << method << ": " << e.what();
    }
  }
}

TEST(Pada, IsRegistered) { EXPECT_TRUE(method_registry().contains("pada")); }

// Until the first update every weight is 1 and a step is DANN's own code: the
// same numbers, step for step, while the logged weights stay at 1 (entropy log 6).
TEST(Pada, BeforeItsFirstUpdateItIsDannStepForStep) {
  const std::vector<std::string> overrides{"steps=100", "log_every=1"};
  const RunRecord dann = testing::train_small(kPadaPartialBlobs, "{name: dann}", 0, overrides);
  const RunRecord pada = testing::train_small(kPadaPartialBlobs, "{name: pada, update_steps: 500}", 0, overrides);
  for (const char* name : {"loss.task", "loss.domain", "lambda", "domain_acc"})
    EXPECT_EQ(dann.train.columns.at(name), pada.train.columns.at(name)) << name;
  EXPECT_EQ(dann.final_metrics.at("target.test_acc"), pada.final_metrics.at("target.test_acc"));
  for (double v : pada.train.columns.at("class_weight.mean")) ASSERT_EQ(v, 1.0);
  for (double v : pada.train.columns.at("class_weight.min")) ASSERT_EQ(v, 1.0);
  for (double v : pada.train.columns.at("class_weight.entropy")) ASSERT_NEAR(v, std::log(6.0), 1e-12);
}

// The weights are computed at steps 20 and 40 of 60 (update_steps 20), and
// stay as they are in between: 1 before step 20, below 1 after it (the
// target has no example of classes 3-5, so they cannot all weigh 1).
TEST(Pada, ClassWeightsChangeOnlyAtUpdateSteps) {
  const RunRecord r =
      testing::train_small(kPadaPartialBlobs, "{name: pada, update_steps: 20}", 0, {"steps=60", "log_every=1"});
  const auto& steps = r.train.steps;
  const auto& mean = r.train.columns.at("class_weight.mean");
  const auto& min = r.train.columns.at("class_weight.min");
  ASSERT_EQ(mean.size(), 60u);
  for (std::size_t i = 0; i < mean.size(); ++i) {
    if (steps[i] < 20) {
      EXPECT_EQ(mean[i], 1.0) << "step " << steps[i];
    } else {
      EXPECT_LT(mean[i], 1.0) << "step " << steps[i];
      EXPECT_LT(min[i], 1.0) << "step " << steps[i];
    }
    if (i > 0 && steps[i] % 20 != 0) {
      EXPECT_EQ(mean[i], mean[i - 1]) << "step " << steps[i];
      EXPECT_EQ(min[i], min[i - 1]) << "step " << steps[i];
    }
  }
}

// A run killed between two updates of the weights resumes to the numbers of
// an uninterrupted one. The weights are computed at steps 8, 16, ..., 208,
// 216; the run is killed right after its checkpoint at step 210, so steps
// 210-215 of the resumed run weigh the source by the weights of step 208:
// they must come back from the checkpoint, or the resumed run differs.
TEST(Pada, AKilledRunResumesWithItsClassWeights) {
  testing::TempDir dir;
  const auto file = dir.write("e.yaml", R"(name: k
data: {source: {name: blobs}, target: {name: class_subset, of: {name: blobs, rotation: 30}, keep: [0, 1, 2]}}
model: {name: mlp, hidden: [32]}
method: {name: pada, update_steps: 8}
optimizer: {name: sgd, lr: 0.05, momentum: 0.9}
steps: 300
eval_every: 100
log_every: 1
checkpoint_every: 10
threads: 1
seeds: [0]
)");
  testing::expect_killed_run_resumes_identically(file, "k", "pada__seed0", 210, dir.path(), "class_weight.entropy");
}

// The paper's claim for partial DA: DANN aligns the target with the whole
// source, outlier classes included, and loses target accuracy to it
// (negative transfer); PADA, which weighs the source classes by the mean
// target prediction, loses less. On testing::kPartialBlobs, PADA's target
// accuracy above DANN's, mean over five seeds. Not claimed: PADA above
// source only (they end level there).
// update_steps 100 rather than TLlib's 500: 29 updates over the run.
// Measured (graft, seeds 0-9, ATen default, avx2, avx512): PADA - DANN per
// seed -0.008 to +0.152; its mean over seeds 0-4 0.083 / 0.090 / 0.086, over
// seeds 5-9 0.043 / 0.048 / 0.043; PADA - source only about 0.
// (On six blobs with three kept, turned 30 degrees, PADA did not beat DANN
// in graft: mean gain -0.0003 over seeds 0-4, although a PyTorch copy of
// that setting had shown +0.07; there DANN's loss came from confusing the
// target's own classes, not from outlier classes.)
constexpr const char* kPadaOutcomeMethod = "{name: pada, update_steps: 100}";
constexpr double kPadaMinMeanGain = 0.02;

TEST(PadaOutcome, BeatsDannOnAPartialTarget) {
  std::vector<double> gains;
  for (std::int64_t seed : testing::outcome_seeds({0, 1, 2, 3, 4})) {
    const double dann =
        testing::train_small(testing::kPartialBlobs, "{name: dann}", seed).final_metrics.at("target.test_acc");
    const RunRecord pada = testing::train_small(testing::kPartialBlobs, kPadaOutcomeMethod, seed);
    const double pada_acc = pada.final_metrics.at("target.test_acc");
    // The weights, for the record: how far they left the outlier classes.
    testing::print_outcome(seed, {{"pada", pada_acc},
                                  {"dann", dann},
                                  {"gain", pada_acc - dann},
                                  {"class_weight.mean", pada.train.columns.at("class_weight.mean").back()},
                                  {"class_weight.entropy", pada.train.columns.at("class_weight.entropy").back()}});
    gains.push_back(pada_acc - dann);
  }
  EXPECT_GT(testing::mean_of(gains), kPadaMinMeanGain);
}

}  // namespace
}  // namespace graft
