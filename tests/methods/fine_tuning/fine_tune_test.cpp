#include "methods/fine_tuning/fine_tune.h"

#include <gtest/gtest.h>

#include "core/models/pretrained.h"
#include "core/registries.h"
#include "core/sealed_file.h"
#include "tests/methods/method_test_util.h"

namespace graft {
namespace {

TEST(FineTune, L2SpPenaltyAndGradientByHand) {
  // alpha/2 ||w - w0||^2 + beta/2 ||h||^2 with w = (1, 2), w0 = (0, 0), h = (3): 0.5*0.1*5 + 0.5*0.2*9 = 1.15.
  auto w = torch::tensor({1.0, 2.0}, torch::kFloat64).requires_grad_(true);
  auto h = torch::tensor({3.0}, torch::kFloat64).requires_grad_(true);
  const auto penalty = l2_sp_penalty({w}, {torch::zeros({2}, torch::kFloat64)}, {h}, 0.1, 0.2);
  EXPECT_NEAR(penalty.item<double>(), 1.15, 1e-12);
  penalty.backward();
  EXPECT_TRUE(torch::allclose(w.grad(), torch::tensor({0.1, 0.2}, torch::kFloat64)));  // alpha (w - w0)
  EXPECT_TRUE(torch::allclose(h.grad(), torch::tensor({0.6}, torch::kFloat64)));       // beta h
}

TEST(FineTune, BssAgainstADirectSvd) {
  torch::manual_seed(0);
  const auto f = torch::randn({16, 5}, torch::kFloat64);
  const auto s = std::get<1>(torch::linalg_svd(f, false));  // descending
  EXPECT_NEAR(bss_penalty(f, 1, 0.5).item<double>(), 0.5 * s[4].pow(2).item<double>(), 1e-10);
  EXPECT_NEAR(bss_penalty(f, 2, 1.0).item<double>(), (s[3].pow(2) + s[4].pow(2)).item<double>(), 1e-10);
}

constexpr const char* kMoons = R"(name: ft
data: {target: {name: two_moons}}
model: {name: mlp, hidden: [16, 16]}
optimizer: {name: sgd, lr: 0.05, momentum: 0.9}
steps: 50
threads: 1
checkpoint_every: 0
)";

TEST(FineTune, FreezingReallyFreezes) {
  // Same seed: the backbone starts from the same weights in both runs, so
  // after training the frozen run's backbone must equal a fresh one exactly.
  FullFineTune fresh(FullFineTuneOptions{});
  LinearProbeOptions options;
  LinearProbe probe(options);
  for (auto* method : std::vector<FineTune*>{&fresh, &probe}) {
    torch::manual_seed(3);
    SetupContext ctx;
    auto data = std::make_shared<DataSet>();
    data->name = "toy";
    data->input_shape = {2};
    data->num_classes = 2;
    Split split;
    split.inputs = torch::randn({8, 2});
    split.targets["label"] = torch::tensor({0, 1, 0, 1, 0, 1, 0, 1}, torch::kInt64);
    data->splits["train"] = split;
    ctx.domains["target"] = data;
    ctx.make_backbone = [](const std::vector<std::int64_t>& shape) {
      return model_registry().create(parse_config_text("{name: mlp, hidden: [4]}", "t"), "model", ModelContext{shape});
    };
    method->setup(ctx);
  }
  // The linear probe offers only the head to the optimizer...
  const auto groups = probe.parameter_groups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].name, "head");
  // ...and its backbone gets no gradient from a step.
  StepContext step;
  step.total_steps = 1;
  Batch batch;
  batch.inputs = torch::randn({4, 2});
  batch.targets["label"] = torch::tensor({0, 1, 0, 1}, torch::kInt64);
  step.batches["train"] = batch;
  probe.train_step(step);
  for (const auto& p : probe.named_parameters()) {
    if (p.key().rfind("backbone", 0) == 0) {
      EXPECT_FALSE(p.value().grad().defined()) << p.key();
    }
  }
}

TEST(FineTune, GradualUnfreezingOpensLayersFromTheTop) {
  GradualUnfreezeOptions options;
  options.unfreeze_fraction = 1.0;
  GradualUnfreeze method(options);
  torch::manual_seed(3);
  SetupContext ctx;
  auto data = std::make_shared<DataSet>();
  data->input_shape = {2};
  data->num_classes = 2;
  data->splits["train"].inputs = torch::randn({8, 2});
  ctx.domains["target"] = data;
  ctx.make_backbone = [](const std::vector<std::int64_t>& shape) {
    return model_registry().create(parse_config_text("{name: mlp, hidden: [4, 4, 4]}", "t"), "model",
                                   ModelContext{shape});
  };
  method.setup(ctx);
  const auto layers = method.layers();
  ASSERT_EQ(layers.size(), 3u);
  // 3 layers, 4 stages over 100 steps: head only, then +1 layer every 25 steps.
  EXPECT_EQ(method.layers_trainable(0, 100), 0);
  EXPECT_EQ(method.layers_trainable(24, 100), 0);
  EXPECT_EQ(method.layers_trainable(25, 100), 1);
  EXPECT_EQ(method.layers_trainable(74, 100), 2);
  EXPECT_EQ(method.layers_trainable(75, 100), 3);
  EXPECT_EQ(method.layers_trainable(99, 100), 3);
  // A step at stage 1 gives gradients to the top layer only.
  StepContext step;
  step.step = 30;
  step.total_steps = 100;
  step.batches["train"].inputs = torch::randn({4, 2});
  step.batches["train"].targets["label"] = torch::tensor({0, 1, 0, 1}, torch::kInt64);
  method.train_step(step);
  for (const auto& p : method.named_parameters()) {
    const bool top = p.key().rfind("backbone." + layers.back(), 0) == 0 || p.key().rfind("head", 0) == 0;
    EXPECT_EQ(p.value().grad().defined(), top) << p.key();
  }
}

TEST(FineTuneOutcome, LinearProbeLeavesTheBackboneUnchangedThroughARun) {
  testing::TempDir dir;
  const auto file = dir.write("e.yaml", std::string(kMoons) + "method: {name: linear_probe}\n");
  const Experiment e = load_experiment(file, {});
  const RunRecord r = train_run(e.runs[0], dir.file("run"), {false, ""});
  ASSERT_EQ(r.status, "finished") << r.message;
  // The backbone as the run initialised it (same seed, nothing drawn before it)...
  torch::manual_seed(0);
  const auto initial = model_registry().create(e.runs[0].model, "model", ModelContext{{2}});
  // ...equals the backbone in the final checkpoint.
  torch::manual_seed(99);
  auto trained = model_registry().create(e.runs[0].model, "model", ModelContext{{2}});
  torch::serialize::InputArchive archive, strategy, backbone;
  const auto checkpoint = read_sealed_file(dir.file("run/checkpoint.pt"), "checkpoint");
  archive.load_from(checkpoint->data(), checkpoint->size());
  archive.read("strategy", strategy);
  strategy.read("backbone", backbone);
  load_module_checked(*trained, backbone, "checkpoint");
  const auto a = initial->parameters(), b = trained->parameters();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << i;
  EXPECT_GT(r.final_metrics.at("target.test_acc"), 0.6);  // the head did learn
}

TEST(FineTune, UnknownFreezePrefixListsTheParameters) {
  testing::TempDir dir;
  const auto file = dir.write("e.yaml", std::string(kMoons) + "method: {name: finetune, freeze: [conv9]}\n");
  const RunRecord r = train_run(load_experiment(file, {}).runs[0], dir.file("run"), {false, ""});
  EXPECT_EQ(r.status, "failed");
  EXPECT_NE(r.message.find("layers.0.weight"), std::string::npos) << r.message;
}

// The point of pretraining: with few labels (5% of UCI digits' training
// split), starting from MNIST features beats starting from scratch. Measured
// over seeds 0-9 under avx2 and default: scratch 0.81-0.86 (0.84 ± 0.02),
// the linear probe 0.90-0.91, fine-tuning with the backbone at a tenth of the
// head's rate (the field's usual practice) 0.89-0.90, on every seed (the seed
// moves little but scratch's initialisation); the mean gains 0.06 and 0.055.
// Plain fine-tuning at the head's rate forgets the features on 60 images
// (0.86-0.88, a gain of 0.03 that a margin cannot be put under). The claim:
// a mean gain above 0.03 over five seeds, ~3 standard errors below the
// measured one. On an Intel Xeon over seeds 0-9 (avx512 / default): mean
// gains 0.059 / 0.054 (fine-tuning) and 0.063 / 0.070 (linear probe), each
// seed's at least 0.030.
TEST(FineTuneOutcome, PretrainedBeatsScratchWithFewLabels) {
  testing::TempDir dir;
  const auto pretrain = dir.write("pretrain.yaml", "name: pre\noutput: " + dir.path() + R"(
data: {source: {name: mnist}}
model: {name: dann_mnist}
method: {name: source_only, head_hidden: [100]}
optimizer: {name: sgd, lr: 0.02, momentum: 0.9}
steps: 800
checkpoint_every: 0
)");
  const std::string finetune = "name: ft\ndata: {target: {name: uci_digits, size: 28, train_fraction: 0.05}}\n"
                               "optimizer: {name: sgd, lr: 0.01, momentum: 0.9}\nsteps: 150\nbatch_size: 32\n"
                               "checkpoint_every: 0\nmodel: {name: pretrained, experiment: " + pretrain + "}\n";
  std::vector<double> tuned_gains, probed_gains;
  for (std::int64_t seed : testing::outcome_seeds({0, 1, 2, 3, 4})) {
    auto target_acc = [&](const std::string& method, std::vector<std::string> overrides = {}) {
      return testing::train_small(finetune, method, seed, overrides).final_metrics.at("target.test_acc");
    };
    const double tuned = target_acc("{name: finetune, backbone_lr_factor: 0.1}");
    const double probed = target_acc("{name: linear_probe}");
    const double scratch = target_acc("{name: finetune}", {"model={name: dann_mnist}"});
    testing::print_outcome(seed, {{"finetune", tuned}, {"linear_probe", probed}, {"scratch", scratch}});
    tuned_gains.push_back(tuned - scratch);
    probed_gains.push_back(probed - scratch);
  }
  EXPECT_GT(testing::mean_of(tuned_gains), 0.03) << "finetune (backbone_lr_factor 0.1) over scratch";
  EXPECT_GT(testing::mean_of(probed_gains), 0.03) << "linear probe over scratch";
}

}  // namespace
}  // namespace graft
