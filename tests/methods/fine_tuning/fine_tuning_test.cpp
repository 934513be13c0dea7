#include "methods/fine_tuning/fine_tuning.h"

#include <gtest/gtest.h>

#include "core/registries.h"
#include "tests/methods/method_test_util.h"

namespace graft {
namespace {

// A `freeze` prefix that names nothing fails the run at setup, before any step.
TEST(FineTune, UnknownFreezePrefixListsTheParameters) {
  testing::TempDir dir;
  const auto file = dir.write("e.yaml", "name: ft\ndata: {target: {name: two_moons}}\nmodel: {name: mlp, hidden: [16]}\n"
                                        "steps: 1\nthreads: 1\nmethod: {name: finetune, freeze: [conv9]}\n");
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
