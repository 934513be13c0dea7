#include "methods/domain_adaptation/iwan.h"

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/config.h"
#include "core/error.h"
#include "core/registries.h"
#include "methods/domain_adaptation/mcd.h"
#include "tests/methods/method_test_util.h"

namespace graft {
namespace {

using testing::expect_error_containing;

// Partial adaptation on blobs: all six classes in the source, the target
// rotated by 25 degrees with only classes 0, 1 and 2. A source-only head puts
// most of the target in the right class (each target centre is 0.43-0.65
// from its own class's source centre and 0.89 from the nearest other);
// aligning the target with all six source classes pulls it into the other
// three.
constexpr const char* kIwanPartialBlobs = R"(name: partial_blobs
data:
  source: {name: blobs}
  target: {name: class_subset, of: {name: blobs, rotation: 25}, keep: [0, 1, 2]}
model: {name: mlp, hidden: [32]}
optimizer: {name: sgd, lr: 0.05, momentum: 0.9}
steps: 2000
threads: 1
checkpoint_every: 0
)";

// D's logits (0, ln 3, -ln 3): D = sigmoid = (1/2, 3/4, 1/4), so
// 1 - D = (1/2, 1/4, 3/4), mean 1/2, and w = (1, 1/2, 3/2): mean 1.
TEST(Iwan, ImportanceWeightsMatchAHandComputedCase) {
  const auto logits = torch::tensor({0.0, std::log(3.0), -std::log(3.0)}, torch::kFloat64);
  const auto expected = torch::tensor({1.0, 0.5, 1.5}, torch::kFloat64);
  EXPECT_TRUE(torch::allclose(importance_weights(logits), expected, 0.0, 1e-14)) << importance_weights(logits);
  // [B, 1], as a domain classifier's head gives it, keeps its shape.
  const auto column = importance_weights(logits.unsqueeze(1));
  ASSERT_EQ(column.sizes(), (std::vector<std::int64_t>{3, 1}));
  EXPECT_TRUE(torch::allclose(column.squeeze(1), expected, 0.0, 1e-14));
}

// Source logits (0, ln 3) weighted (1/2, 3/2), target logit ln 3.
//   source: BCE(0, 1) = -ln sigmoid(0) = ln 2; BCE(ln 3, 1) = -ln(3/4) = ln(4/3);
//           weighted mean (ln 2 / 2 + 3 ln(4/3) / 2) / 2
//   target: BCE(ln 3, 0) = -ln(1 - 3/4) = ln 4
//   loss = ((ln 2 / 2 + 3 ln(4/3) / 2) / 2 + ln 4) / 2 = 0.8876713553...
// Unweighted: ((ln 2 + ln(4/3)) / 2 + ln 4) / 2 = (ln(8/3) / 2 + ln 4) / 2 = 0.9383544938...
TEST(Iwan, DomainLossMatchesAHandComputedCase) {
  const auto source = torch::tensor({0.0, std::log(3.0)}, torch::kFloat64);
  const auto target = torch::tensor({std::log(3.0)}, torch::kFloat64);
  const auto weights = torch::tensor({0.5, 1.5}, torch::kFloat64);
  const double weighted = ((0.5 * std::log(2.0) + 1.5 * std::log(4.0 / 3.0)) / 2.0 + std::log(4.0)) / 2.0;
  const double plain = (std::log(8.0 / 3.0) / 2.0 + std::log(4.0)) / 2.0;
  EXPECT_NEAR(weighted, 0.8876713553, 1e-10);
  EXPECT_NEAR(plain, 0.9383544938, 1e-10);
  EXPECT_NEAR(iwan_domain_loss(source, target, weights).item<double>(), weighted, 1e-14);
  EXPECT_NEAR(iwan_domain_loss(source, target).item<double>(), plain, 1e-14);
  // Columns [B, 1] give the same numbers.
  EXPECT_NEAR(iwan_domain_loss(source.unsqueeze(1), target.unsqueeze(1), weights.unsqueeze(1)).item<double>(),
              weighted, 1e-14);
}

// D sure of every source row (logits 200 and 300): 1 - sigmoid rounds to 0 in
// float32, so (1 - D) / mean(1 - D) would be 0 / 0. Exactly, w = 2 (1, e^-100)
// / (1 + e^-100): (2, 7.6e-44), still of mean 1 (TLlib's + 1e-5 in the
// denominator would give (0, 0)).
TEST(Iwan, WeightsStayFiniteAndOfMeanOneWhenDIsSureOfEverySourceRow) {
  const auto logits = torch::tensor({200.0f, 300.0f});
  ASSERT_EQ((1.0f - torch::sigmoid(logits)).abs().max().item<float>(), 0.0f);
  const auto w = importance_weights(logits);
  EXPECT_TRUE(torch::isfinite(w).all().item<bool>()) << w;
  EXPECT_NEAR(w[0].item<double>(), 2.0, 1e-6);
  EXPECT_LT(w[1].item<double>(), 1e-30);
  EXPECT_NEAR(w.mean().item<double>(), 1.0, 1e-6);
}

// The loss is smooth in both domains' logits, and the weights are constants:
// differentiating a loss whose weights come from the same logits gives the
// gradient with those weights held fixed.
TEST(Iwan, DomainLossGradientMatchesFiniteDifferencesAndSkipsTheWeights) {
  torch::manual_seed(0);
  const auto source = torch::randn({5}, torch::kFloat64) * 2.0;
  const auto target = torch::randn({4}, torch::kFloat64) * 2.0;
  const auto weights = importance_weights(torch::randn({5}, torch::kFloat64) * 2.0);
  auto s = source.clone().requires_grad_(true), t = target.clone().requires_grad_(true);
  iwan_domain_loss(s, t, weights).backward();
  const auto numeric_s =
      testing::numeric_gradient([&](const torch::Tensor& x) { return iwan_domain_loss(x, target, weights); }, source);
  const auto numeric_t =
      testing::numeric_gradient([&](const torch::Tensor& x) { return iwan_domain_loss(source, x, weights); }, target);
  EXPECT_TRUE(torch::allclose(s.grad(), numeric_s, 1e-6, 1e-9)) << (s.grad() - numeric_s).abs().max().item<double>();
  EXPECT_TRUE(torch::allclose(t.grad(), numeric_t, 1e-6, 1e-9)) << (t.grad() - numeric_t).abs().max().item<double>();

  auto x = source.clone().requires_grad_(true);
  const auto own_weights = importance_weights(x);
  EXPECT_FALSE(own_weights.requires_grad());
  iwan_domain_loss(x, target, own_weights).backward();
  const auto fixed = importance_weights(source);
  const auto numeric_fixed =
      testing::numeric_gradient([&](const torch::Tensor& z) { return iwan_domain_loss(z, target, fixed); }, source);
  EXPECT_TRUE(torch::allclose(x.grad(), numeric_fixed, 1e-6, 1e-9))
      << (x.grad() - numeric_fixed).abs().max().item<double>();
}

TEST(Iwan, RejectsLogitsOfMoreThanOneOutputAndMismatchedWeights) {
  expect_error_containing([] { importance_weights(torch::zeros({4, 2})); },
                    "iwan: importance_weights' source logits must be a non-empty [batch] or [batch, 1] of one domain "
                    "classifier's logits, got [4, 2]");
  expect_error_containing([] { importance_weights(torch::zeros({0})); }, "got [0]");
  expect_error_containing([] { iwan_domain_loss(torch::zeros({4}), torch::zeros({3, 3})); },
                    "iwan: iwan_domain_loss' target logits must be a non-empty [batch] or [batch, 1]");
  expect_error_containing([] { iwan_domain_loss(torch::zeros({4}), torch::zeros({3}), torch::ones({3})); },
                    "iwan: iwan_domain_loss needs one weight per source row: 3 weights [3] for source logits [4]");
}

TEST(Iwan, BadOptionsAreConfigErrorsNamingTheOption) {
  const auto error_of = [](const std::string& method) {
    testing::TempDir dir;
    const auto file = dir.write("e.yaml", std::string(kIwanPartialBlobs) + "method: " + method + "\n");
    try {
      load_experiment(file, {});
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const std::string negative = error_of("{name: iwan, entropy_weight: -0.1}");
  EXPECT_NE(negative.find("method.entropy_weight: value -0.1 is out of range: must be >= 0"), std::string::npos)
      << negative;
  const std::string typo = error_of("{name: iwan, importance_factr: 2}");
  EXPECT_NE(typo.find("Did you mean 'importance_factor'"), std::string::npos) << typo;
  const std::string schedule = error_of("{name: iwan, lambda_schedule: progresive}");
  EXPECT_NE(schedule.find("progressive"), std::string::npos) << schedule;
}

TEST(Iwan, IsRegistered) { EXPECT_TRUE(method_registry().contains("iwan")); }

// One step on hand-made batches (a source of 3 classes, a partial target of
// 2, an MLP of 5 features, constant lambda 0.5, TLlib's weights 3, 1.5 and
// 0.1). Each module must receive the gradient of its own objective only:
//   importance head D:  1.5 x 3 x dL_D           (the weights carry no gradient into D)
//   domain head D0:     3 x dL_D0
//   label head:         d(CE + 0.1 H)
//   backbone:           d(CE + 0.1 H) - 0.5 x 3 x dL_D0   (L_D does not reach it)
TEST(Iwan, OneStepGivesEachModuleTheGradientOfItsOwnObjective) {
  IwanOptions options;
  options.lambda_schedule = "constant";
  options.lambda_max = 0.5;
  options.domain_hidden = {4};
  Iwan method(options);
  SetupContext setup;
  auto source = std::make_shared<DataSet>(), target = std::make_shared<DataSet>();
  source->input_shape = target->input_shape = {2};
  source->num_classes = 3;
  target->num_classes = 2;
  setup.domains["source"] = source;
  setup.domains["target"] = target;
  setup.make_backbone = [](const std::vector<std::int64_t>& shape) {
    return model_registry().create(parse_config_text("{name: mlp, hidden: [5]}", "t"), "model", ModelContext{shape});
  };
  torch::manual_seed(0);
  method.setup(setup);
  const auto groups = method.parameter_groups();
  ASSERT_EQ(groups.size(), 4u);
  const std::vector<std::string> names{"backbone", "label_head", "importance_head", "domain_head"};
  for (std::size_t i = 0; i < names.size(); ++i) EXPECT_EQ(groups[i].name, names[i]);

  StepContext step;
  step.total_steps = 1;
  Batch source_batch, target_batch;
  source_batch.inputs = torch::randn({3, 2});
  source_batch.targets["label"] = torch::tensor({0, 2, 1}, torch::kInt64);
  target_batch.inputs = torch::randn({4, 2});
  step.batches["source"] = source_batch;
  step.batches["target"] = target_batch;
  method.zero_grad();
  const StepReport report = method.train_step(step);
  for (const char* name :
       {"loss.task", "loss.importance", "loss.domain", "loss.entropy", "lambda", "importance_acc", "weight_max"})
    EXPECT_EQ(report.scalars.count(name), 1u) << name;
  EXPECT_DOUBLE_EQ(report.scalars.at("lambda"), 0.5);

  // The objectives recomputed without the reversal layer, each differentiated alone.
  auto children = method.named_children();
  const auto head = [&](const std::string& name, const torch::Tensor& x) {
    return children[name]->as<torch::nn::Sequential>()->forward(x);
  };
  const auto fs = method.features(source_batch.inputs), ft = method.features(target_batch.inputs);
  const auto task = torch::nn::functional::cross_entropy(head("label_head", fs), source_batch.target("label"));
  const auto entropy = mean_entropy(torch::softmax(head("label_head", ft), 1));
  const auto ds = head("importance_head", fs.detach()), dt = head("importance_head", ft.detach());
  const auto importance = iwan_domain_loss(ds, dt);
  const auto domain =
      iwan_domain_loss(head("domain_head", fs), head("domain_head", ft), importance_weights(ds));
  EXPECT_NEAR(report.scalars.at("loss.task"), task.item<double>(), 1e-6);
  EXPECT_NEAR(report.scalars.at("loss.entropy"), entropy.item<double>(), 1e-6);
  EXPECT_NEAR(report.scalars.at("loss.importance"), importance.item<double>(), 1e-6);
  EXPECT_NEAR(report.scalars.at("loss.domain"), domain.item<double>(), 1e-6);
  EXPECT_NEAR(report.scalars.at("weight_max"), importance_weights(ds).max().item<double>(), 1e-6);

  const auto classifier = task + 0.1 * entropy;
  const auto grad = [](const torch::Tensor& loss, const std::vector<torch::Tensor>& parameters) {
    return torch::autograd::grad({loss}, parameters, {}, true);
  };
  const auto expect_grads = [](const std::vector<torch::Tensor>& parameters, const std::vector<torch::Tensor>& expected,
                               const std::string& group) {
    ASSERT_EQ(parameters.size(), expected.size()) << group;
    for (std::size_t i = 0; i < parameters.size(); ++i)
      EXPECT_TRUE(torch::allclose(parameters[i].grad(), expected[i], 1e-5, 1e-6))
          << group << " parameter " << i << ": " << (parameters[i].grad() - expected[i]).abs().max().item<double>();
  };
  const auto& backbone = groups[0].parameters;
  const auto& label_head = groups[1].parameters;
  const auto& importance_head = groups[2].parameters;
  const auto& domain_head = groups[3].parameters;

  std::vector<torch::Tensor> expected;
  for (const auto& g : grad(importance, importance_head)) expected.push_back(1.5 * 3.0 * g);
  expect_grads(importance_head, expected, "importance_head");
  expected.clear();
  for (const auto& g : grad(domain, domain_head)) expected.push_back(3.0 * g);
  expect_grads(domain_head, expected, "domain_head");
  expect_grads(label_head, grad(classifier, label_head), "label_head");
  const auto classifier_backbone = grad(classifier, backbone), domain_backbone = grad(domain, backbone);
  expected.clear();
  for (std::size_t i = 0; i < backbone.size(); ++i)
    expected.push_back(classifier_backbone[i] - 0.5 * 3.0 * domain_backbone[i]);
  expect_grads(backbone, expected, "backbone");
}

// lambda follows DANN's progressive schedule over the run's real steps (0 at
// the first, 2 / (1 + e^-10) - 1 = 0.9999092 at the last), whatever `steps`
// is, and every scalar is logged at every step.
TEST(Iwan, APartialRunLogsItsScalarsWithLambdaOverTheRunsOwnLength) {
  for (int steps : {200, 500}) {
    const RunRecord r = testing::train_small(testing::kPartialBlobs, "{name: iwan}", 0,
                                             {"steps=" + std::to_string(steps), "log_every=1"});
    for (const char* name : {"loss.task", "loss.importance", "loss.domain", "loss.entropy", "importance_acc",
                             "weight_max"}) {
      ASSERT_EQ(r.train.columns.count(name), 1u) << name;
      EXPECT_EQ(r.train.columns.at(name).size(), static_cast<std::size_t>(steps)) << name;
    }
    const auto& lambda = r.train.columns.at("lambda");
    EXPECT_DOUBLE_EQ(lambda.front(), 0.0);
    EXPECT_NEAR(lambda.back(), 0.9999092, 1e-6) << steps;
    EXPECT_EQ(r.final_metrics.count("target.test_acc"), 1u);
  }
}

// The paper's claim (its tables on Office+Caltech, Office-31 and Caltech-256
// -> Office-10): with a partial target, weighting the source beats aligning
// all of it, as DANN (RevGrad) does. On testing::kPartialBlobs, IWAN (TLlib's
// defaults) above DANN, mean target accuracy over five seeds. Source only is
// printed for the record, not claimed.
// Measured (graft, seeds 0-9, ATen default, avx2, avx512): IWAN - DANN per
// seed +0.013 to +0.217; its mean over seeds 0-4 0.131 / 0.132 / 0.133, over
// seeds 5-9 0.078 / 0.105 / 0.093. IWAN - source only: mean +0.04 (-0.06 to
// +0.10). (A PyTorch copy on six blobs, three kept, 25 degrees, had shown a
// gain over DANN of 0.07-0.30, mean 0.18; the importance weights of the
// outlier classes fell below 0.01 there.)
constexpr double kIwanMinMeanGainOverDann = 0.04;

TEST(IwanOutcome, BeatsDannOnAPartialTarget) {
  std::vector<double> gains;
  for (std::int64_t seed : testing::outcome_seeds({0, 1, 2, 3, 4})) {
    const double iwan =
        testing::train_small(testing::kPartialBlobs, "{name: iwan}", seed).final_metrics.at("target.test_acc");
    const double dann =
        testing::train_small(testing::kPartialBlobs, "{name: dann}", seed).final_metrics.at("target.test_acc");
    const double source_only =
        testing::train_small(testing::kPartialBlobs, "{name: source_only}", seed).final_metrics.at("target.test_acc");
    testing::print_outcome(seed, {{"iwan", iwan}, {"dann", dann}, {"source_only", source_only}});
    gains.push_back(iwan - dann);
  }
  EXPECT_GT(testing::mean_of(gains), kIwanMinMeanGainOverDann);
}

}  // namespace
}  // namespace graft
