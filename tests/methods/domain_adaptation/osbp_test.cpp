#include "methods/domain_adaptation/osbp.h"

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/config.h"
#include "core/error.h"
#include "core/registries.h"
#include "tests/methods/method_test_util.h"

namespace graft {
namespace {

using testing::expect_error_containing;

// Two known classes and the unknown one (K = 2, columns 0, 1, 2).
// Row 1, logits (0, 0, 0): p_3 = 1/3, 1 - p_3 = 2/3.
// Row 2, logits (ln 2, 0, ln 3): e^z = (2, 1, 3) / 6, p_3 = 1/2.
// t = 0.5: row 1 -0.5 ln(1/3) - 0.5 ln(2/3) = 0.5 ln 4.5; row 2 ln 2;
//   mean (0.5 ln 4.5 + ln 2) / 2 = (ln 4.5 + ln 4) / 4 = ln 18 / 4 = 0.7225929394...
// t = 0.2: row 1 0.2 ln 3 + 0.8 ln 1.5; row 2 -0.2 ln 0.5 - 0.8 ln 0.5 = ln 2.
torch::Tensor osbp_hand_logits() {
  return torch::tensor({{0.0, 0.0, 0.0}, {std::log(2.0), 0.0, std::log(3.0)}}, torch::kFloat64);
}

TEST(Osbp, LossMatchesAHandComputedCase) {
  const auto logits = osbp_hand_logits();
  EXPECT_NEAR(std::log(18.0) / 4.0, 0.7225929394, 1e-10);
  EXPECT_NEAR(unknown_class_bce(logits, 0.5).item<double>(), std::log(18.0) / 4.0, 1e-12);
  EXPECT_NEAR(unknown_class_bce(logits, 0.2).item<double>(),
              (0.2 * std::log(3.0) + 0.8 * std::log(1.5) + std::log(2.0)) / 2.0, 1e-12);
}

// For the classifier, L_adv is smallest where p_{K+1} = t: in the logits its
// gradient is t (p - e_{K+1}) + (1 - t) (p - q), q the softmax over the known
// logits alone, which is 0 when p_{K+1} = t (then q_j = p_j / (1 - t)); in
// the unknown logit it is (p_{K+1} - t) / batch. Row 2 of the hand case has
// p_3 = 1/2 = t; row 1 has p_3 = 1/3, so d/dz_3 = (1/3 - 1/2) / 2 = -1/12:
// the classifier raises the unknown logit towards t.
TEST(Osbp, TheClassifiersOptimumIsPUnknownEqualToT) {
  auto logits = osbp_hand_logits().requires_grad_(true);
  unknown_class_bce(logits, 0.5).backward();
  const auto grad = logits.grad();
  EXPECT_TRUE(torch::allclose(grad[1], torch::zeros({3}, torch::kFloat64), 0.0, 1e-15)) << grad;
  EXPECT_NEAR(grad[0][2].item<double>(), -1.0 / 12.0, 1e-15);
  // Logits (ln 2, ln 2, 0): e^z = (2, 2, 1) / 5, p_3 = 0.2 = t.
  auto at_t = torch::tensor({{std::log(2.0), std::log(2.0), 0.0}}, torch::kFloat64).requires_grad_(true);
  unknown_class_bce(at_t, 0.2).backward();
  EXPECT_TRUE(torch::allclose(at_t.grad(), torch::zeros({1, 3}, torch::kFloat64), 0.0, 1e-15)) << at_t.grad();
}

// TLlib's and the authors' form: -t log(p + offset) - (1 - t) log(1 - p + offset).
// A row with p below the offset (logits (0, -20), p_2 = sigma(-20) ~ 2e-9)
// is capped near -0.5 ln 1e-6 = 6.9, where the exact loss is
// -0.5 ln sigma(-20) - 0.5 ln sigma(20) = 10 + ln(1 + e^-20).
TEST(Osbp, LogOffsetIsTllibsForm) {
  const double offset = 1e-6;
  EXPECT_NEAR(unknown_class_bce(osbp_hand_logits(), 0.5, offset).item<double>(),
              (-0.5 * std::log(1.0 / 3.0 + offset) - 0.5 * std::log(2.0 / 3.0 + offset) - std::log(0.5 + offset)) /
                  2.0,
              1e-12);
  const auto confident_known = torch::tensor({{0.0, -20.0}}, torch::kFloat64);
  const double p = std::exp(-20.0) / (1.0 + std::exp(-20.0));
  EXPECT_NEAR(unknown_class_bce(confident_known, 0.5, offset).item<double>(),
              -0.5 * std::log(p + offset) - 0.5 * std::log(1.0 - p + offset), 1e-12);
  EXPECT_NEAR(unknown_class_bce(confident_known, 0.5).item<double>(), 10.0 + std::log1p(std::exp(-20.0)), 1e-12);
}

// The features are rewarded for pushing p_{K+1} to 1, where 1 - softmax
// rounds to 0 in float32 (logits (0, 0, 40): 1 - p_3 = 2e^-40 / (1 + 2e^-40)).
// The exact form stays finite: -0.5 ln p_3 - 0.5 ln(1 - p_3) ~ 0.5 (40 - ln 2).
TEST(Osbp, AConfidentUnknownGivesAFiniteLoss) {
  auto logits = torch::tensor({{0.0f, 0.0f, 40.0f}}).requires_grad_(true);
  ASSERT_EQ((1.0 - torch::softmax(logits.detach(), 1))[0][2].item<float>(), 0.0f);
  const auto loss = unknown_class_bce(logits, 0.5);
  EXPECT_NEAR(loss.item<double>(), 0.5 * (40.0 - std::log(2.0)), 1e-4);
  loss.backward();
  EXPECT_TRUE(torch::isfinite(logits.grad()).all().item<bool>()) << logits.grad();
}

TEST(Osbp, GradientMatchesFiniteDifferences) {
  torch::manual_seed(0);
  const auto logits = torch::randn({5, 4}, torch::kFloat64) * 2.0;
  for (double t : {0.5, 0.3})
    for (double offset : {0.0, 1e-6}) {
      auto x = logits.clone().requires_grad_(true);
      unknown_class_bce(x, t, offset).backward();
      const auto numeric =
          testing::numeric_gradient([&](const torch::Tensor& z) { return unknown_class_bce(z, t, offset); }, logits);
      EXPECT_TRUE(torch::allclose(x.grad(), numeric, 1e-6, 1e-8))
          << "t " << t << ", offset " << offset << ": " << (x.grad() - numeric).abs().max().item<double>();
    }
}

TEST(Osbp, RejectsLogitsWithoutAKnownClassAndBadArguments) {
  expect_error_containing([] { unknown_class_bce(torch::zeros({4}), 0.5); },
                    "osbp: unknown_class_bce expects target logits [batch, known classes + 1] with at least one "
                    "known class, got [4]");
  expect_error_containing([] { unknown_class_bce(torch::zeros({4, 1}), 0.5); }, "got [4, 1]");
  expect_error_containing([] { unknown_class_bce(torch::zeros({4, 3}), 1.5); }, "osbp: t must be in [0, 1], got 1.5");
  expect_error_containing([] { unknown_class_bce(torch::zeros({4, 3}), 0.5, -1.0); },
                    "osbp: log_offset must be >= 0, got -1");
}

TEST(Osbp, BadOptionsAreConfigErrorsNamingTheOption) {
  const auto error_of = [](const std::string& method) {
    testing::TempDir dir;
    const auto file = dir.write("e.yaml", std::string(testing::kOpenSetBlobs) + "method: " + method + "\n");
    try {
      load_experiment(file, {});
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const std::string range = error_of("{name: osbp, t: 1.5}");
  EXPECT_NE(range.find("method.t: value 1.5 is out of range: must be >= 0 and <= 1"), std::string::npos) << range;
  const std::string typo = error_of("{name: osbp, log_ofset: 1e-6}");
  EXPECT_NE(typo.find("Did you mean 'log_offset'"), std::string::npos) << typo;
  const std::string negative = error_of("{name: osbp, grl_coefficient: -1}");
  EXPECT_NE(negative.find("method.grl_coefficient: value -1 is out of range"), std::string::npos) << negative;
}

TEST(Osbp, IsRegistered) { EXPECT_TRUE(method_registry().contains("osbp")); }

// A source of 3 classes, a target whose unknown label is 3, an MLP of 5
// features: the head has K + 1 = 4 outputs. One step on hand-made batches:
// the head receives the gradient of L_s + L_adv, the backbone that of
// L_s - lambda L_adv (eq. 4, through the reversal layer), with lambda = 0.5.
TEST(Osbp, TheHeadMinimisesLAdvAndTheFeaturesMaximiseIt) {
  OsbpOptions options;
  options.grl_coefficient = 0.5;
  Osbp method(options);
  SetupContext setup;
  auto source = std::make_shared<DataSet>(), target = std::make_shared<DataSet>();
  source->input_shape = target->input_shape = {2};
  source->num_classes = 3;
  target->num_classes = 4;
  target->unknown_class = 3;
  setup.domains["source"] = source;
  setup.domains["target"] = target;
  setup.make_backbone = [](const std::vector<std::int64_t>& shape) {
    return model_registry().create(parse_config_text("{name: mlp, hidden: [5]}", "t"), "model", ModelContext{shape});
  };
  torch::manual_seed(0);
  method.setup(setup);
  const auto groups = method.parameter_groups();
  ASSERT_EQ(groups.size(), 2u);
  ASSERT_EQ(groups[1].name, "label_head");
  EXPECT_EQ(groups[1].parameters[0].sizes(), (std::vector<std::int64_t>{4, 5}));  // Linear 5 -> K + 1

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
  for (const char* name : {"loss.task", "loss.adversarial", "p_unknown", "unknown_rate"})
    EXPECT_EQ(report.scalars.count(name), 1u) << name;

  // The same two losses without the reversal layer, each differentiated alone.
  const auto head = method.named_children()["label_head"];
  const auto forward = [&](const torch::Tensor& x) {
    return head->as<torch::nn::Sequential>()->forward(method.features(x));
  };
  const auto task = torch::nn::functional::cross_entropy(forward(source_batch.inputs), source_batch.target());
  const auto adversarial = unknown_class_bce(forward(target_batch.inputs), 0.5);
  EXPECT_NEAR(report.scalars.at("loss.task"), task.item<double>(), 1e-6);
  EXPECT_NEAR(report.scalars.at("loss.adversarial"), adversarial.item<double>(), 1e-6);
  const auto head_parameters = groups[1].parameters, backbone_parameters = groups[0].parameters;
  const auto task_head = torch::autograd::grad({task}, head_parameters, {}, true);
  const auto adversarial_head = torch::autograd::grad({adversarial}, head_parameters, {}, true);
  const auto task_backbone = torch::autograd::grad({task}, backbone_parameters, {}, true);
  const auto adversarial_backbone = torch::autograd::grad({adversarial}, backbone_parameters, {}, true);
  for (std::size_t i = 0; i < head_parameters.size(); ++i)
    EXPECT_TRUE(torch::allclose(head_parameters[i].grad(), task_head[i] + adversarial_head[i], 1e-5, 1e-6))
        << "head parameter " << i;
  for (std::size_t i = 0; i < backbone_parameters.size(); ++i)
    EXPECT_TRUE(torch::allclose(backbone_parameters[i].grad(), task_backbone[i] - 0.5 * adversarial_backbone[i],
                                1e-5, 1e-6))
        << "backbone parameter " << i;
}

// The metrics call a prediction unknown when it is >= the target's unknown
// label, so it must be the head's unknown output, K: a source with all six
// classes (K = 6) against a target whose unknown label is 4 is an error, and
// so is a source with an unknown class of its own.
TEST(Osbp, UnknownLabelsThatDisagreeWithTheHeadAreAClearError) {
  const auto run = [](const std::string& source) {
    const std::string experiment = std::string(R"(name: mismatch
data:
  source: )") + source + R"(
  target: {name: class_subset, of: {name: blobs, rotation: 20}, unknown: [4, 5]}
model: {name: mlp, hidden: [8]}
optimizer: {name: sgd, lr: 0.01}
steps: 1
threads: 1
checkpoint_every: 0
)";
    return testing::train_small(experiment, "{name: osbp}", 0, {}, false);
  };
  const RunRecord all_classes = run("{name: blobs}");
  EXPECT_EQ(all_classes.status, "failed");
  EXPECT_NE(all_classes.message.find("labels its unknown examples 4, but the source 'blobs' has 6 classes, so "
                                     "OSBP's unknown output is 6; keep the same known classes 0..5 in both domains"),
            std::string::npos)
      << all_classes.message;
  const RunRecord open_source = run("{name: class_subset, of: {name: blobs}, unknown: [4, 5]}");
  EXPECT_EQ(open_source.status, "failed");
  EXPECT_NE(open_source.message.find("has an unknown class (label 4); OSBP learns 'unknown' from the target alone"),
            std::string::npos)
      << open_source.message;
}

TEST(Osbp, AnOpenSetRunLogsItsScalarsAndScoresKnownAndUnknown) {
  const RunRecord r = testing::train_small(testing::kOpenSetBlobs, "{name: osbp}", 0, {"steps=50", "log_every=1"});
  for (const char* name : {"loss.task", "loss.adversarial", "p_unknown", "unknown_rate"}) {
    ASSERT_EQ(r.train.columns.count(name), 1u) << name;
    EXPECT_EQ(r.train.columns.at(name).size(), 50u) << name;
  }
  const double p_unknown = r.train.columns.at("p_unknown").back();
  EXPECT_GT(p_unknown, 0.0);
  EXPECT_LT(p_unknown, 1.0);
  for (const char* name : {"target.test_acc", "target.test_os_star", "target.test_unk", "target.test_hos"})
    EXPECT_EQ(r.final_metrics.count(name), 1u) << name;
}

// OSBP on open-set blobs: four known classes in the source, the target
// rotated by 20 degrees with two more classes (labels 4 and 5 of blobs) that
// it must call unknown. Source only never predicts unknown (its head has K
// outputs), so its HOS is 0; the claim is that OSBP both rejects the unknown
// classes and keeps most of source only's accuracy on the known ones.
// In a NumPy copy of this setting (not graft's data, initialisation or
// batches; seeds 0-9, 2,000 steps) OSBP's HOS was 0.42-0.74 (mean 0.57, sd
// 0.10; 0.58 over seeds 0-4), with OS* 0.71-0.89 against source only's
// 0.91-0.96 (mean loss 0.12) and UNK 0.28-0.65. lr 0.05 (the moons' rate)
// made the game unstable there: several seeds ended with HOS 0.
// Measured in graft (seeds 0-9, ATen default, avx2 and avx512, which agree
// to 3e-3): HOS 0.352-0.625 per seed, mean 0.510 over seeds 0-4 and 0.489
// over 5-9; OS* lost to source only 0.014-0.200 per seed, mean 0.083 over
// seeds 0-4 and 0.116 over 5-9. (On real digits, MNIST -> UCI at t 0.5,
// OSBP calls nearly every target digit unknown: docs/RESULTS.md.)
constexpr double kOsbpMinMeanHos = 0.3;
constexpr double kOsbpMaxMeanKnownAccuracyLoss = 0.25;

TEST(OsbpOutcome, RejectsUnknownTargetClassesAndKeepsTheKnownOnes) {
  std::vector<double> hos, known_accuracy_loss;
  for (std::int64_t seed : testing::outcome_seeds({0, 1, 2, 3, 4})) {
    const auto osbp = testing::train_small(testing::kOpenSetBlobs, "{name: osbp}", seed).final_metrics;
    const auto source_only = testing::train_small(testing::kOpenSetBlobs, "{name: source_only}", seed).final_metrics;
    testing::print_outcome(seed, {{"osbp_hos", osbp.at("target.test_hos")},
                                  {"osbp_os_star", osbp.at("target.test_os_star")},
                                  {"osbp_unk", osbp.at("target.test_unk")},
                                  {"source_only_os_star", source_only.at("target.test_os_star")}});
    hos.push_back(osbp.at("target.test_hos"));
    known_accuracy_loss.push_back(source_only.at("target.test_os_star") - osbp.at("target.test_os_star"));
  }
  EXPECT_GT(testing::mean_of(hos), kOsbpMinMeanHos);
  EXPECT_LT(testing::mean_of(known_accuracy_loss), kOsbpMaxMeanKnownAccuracyLoss);
}

}  // namespace
}  // namespace graft
