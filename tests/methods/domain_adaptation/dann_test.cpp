#include "methods/domain_adaptation/dann.h"

#include <gtest/gtest.h>

#include "tests/methods/method_test_util.h"

namespace graft {
namespace {

using testing::kRotatedMoons;
using testing::train_small;

// The paper's toy result (JMLR 2016, sec. 5.1): on moons rotated by 35°,
// DANN classifies the target far better than a network trained on the
// source. Adversarial training on this toy is chaotic: measured over seeds
// 0-9 under ATEN_CPU_CAPABILITY=avx2 and default (6,000 steps), DANN's
// target accuracy is 0.88-0.90 with a spread (std) of 0.06-0.08 between
// seeds, from 0.73 to 0.97, and source only's 0.68 ± 0.03; the per-seed gain
// ranged from 0.03 to 0.30 (mean 0.20). A win on every seed would fail now
// and then on a machine that rounds differently, so the claim is the mean
// gain over five seeds: 0.20 expected, its standard error ~0.03, the margin
// 0.08 about four standard errors below. On an Intel Xeon over seeds 0-9:
// under avx512 a gain of 0.05-0.34 (mean 0.21, 0.20 over seeds 0-4), under
// default 0.10-0.37 (mean 0.23).
TEST(DannOutcome, BeatsSourceOnlyOnRotatedMoons) {
  std::vector<double> gains;
  for (std::int64_t seed : testing::outcome_seeds({0, 1, 2, 3, 4})) {
    const double source_only = train_small(kRotatedMoons, "{name: source_only}", seed, {"steps=6000"})
                                   .final_metrics.at("target.test_acc");
    const double dann =
        train_small(kRotatedMoons, "{name: dann}", seed, {"steps=6000"}).final_metrics.at("target.test_acc");
    testing::print_outcome(seed, {{"dann", dann}, {"source_only", source_only}});
    gains.push_back(dann - source_only);
  }
  EXPECT_GT(testing::mean_of(gains), 0.08);
}

TEST(Dann, LambdaFollowsTheScheduleOverTheRealSteps) {
  DannOptions options;
  Dann progressive(options);
  EXPECT_DOUBLE_EQ(progressive.lambda_at(0.0), 0.0);
  EXPECT_NEAR(progressive.lambda_at(1.0), 0.9999092, 1e-7);
  options.lambda_schedule = "constant";
  options.lambda_max = 0.3;
  EXPECT_DOUBLE_EQ(Dann(options).lambda_at(0.0), 0.3);
}

TEST(Dann, LoggedLambdaUsesTheRunsOwnLength) {
  // Same schedule whatever `steps` is: lambda reaches ~1 at the last step.
  for (int steps : {200, 700}) {
    const RunRecord r = train_small(kRotatedMoons, "{name: dann}", 0, {"steps=" + std::to_string(steps), "log_every=1"});
    const auto& lambda = r.train.columns.at("lambda");
    EXPECT_DOUBLE_EQ(lambda.front(), 0.0);
    EXPECT_NEAR(lambda.back(), 0.9999092, 1e-6) << steps;
  }
}

// A short version of the quick start (with its lambda_max): DANN above source
// only on MNIST -> MNIST-M. Measured over seeds 0-9 under ATEN_CPU_CAPABILITY
// avx512 (Intel Xeon): DANN 0.49-0.54, source only 0.41-0.45, a gain of
// 0.056-0.12 on every seed (0.093 on seed 0 under default); two seeds must
// each show 0.02 of it.
// One thread: CTest runs two tests at once on 2 cores, and OpenMP threads that
// share a core with another process wait at every barrier (a CI run of this
// test with the default thread count passed 300 s instead of ~35 s).
TEST(DannMnistMOutcome, BeatsSourceOnlyInAShortRun) {
  const std::string experiment = R"(name: mm
data: {source: {name: mnist, channels: 3}, target: {name: mnist_m}}
model: {name: dann_mnist}
optimizer: {name: sgd, lr: 0.01, momentum: 0.9}
schedule: {name: dann_annealing}
steps: 800
batch_size: 64
threads: 1
checkpoint_every: 0
)";
  for (std::int64_t seed : testing::outcome_seeds({0, 1})) {
    const double source_only = train_small(experiment, "{name: source_only, head_hidden: [100, 100]}", seed)
                                   .final_metrics.at("target.test_acc");
    const double dann =
        train_small(experiment, "{name: dann, head_hidden: [100, 100], domain_hidden: [100], lambda_max: 0.3}", seed)
            .final_metrics.at("target.test_acc");
    testing::print_outcome(seed, {{"dann", dann}, {"source_only", source_only}});
    EXPECT_GT(dann, source_only + 0.02) << "seed " << seed;
  }
}

}  // namespace
}  // namespace graft
