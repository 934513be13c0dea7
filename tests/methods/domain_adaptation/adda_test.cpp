#include "methods/domain_adaptation/adda.h"

#include <cmath>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/registries.h"
#include "tests/methods/method_test_util.h"

namespace graft {
namespace {

// Binary cross-entropy with logits: source logit 2 labelled 1 costs
// log(1 + e^-2) = 0.126928; target logit -1 labelled 0 costs log(1 + e^-1) =
// 0.313262; L_advD = 0.440190. The encoder's inverted label on -1 costs
// log(1 + e^1) = 1.313262.
TEST(Adda, LossesMatchAHandComputedCase) {
  const auto source = torch::tensor({{2.0}}, torch::kFloat64), target = torch::tensor({{-1.0}}, torch::kFloat64);
  EXPECT_NEAR(adda_discriminator_loss(source, target).item<double>(), 0.440190, 1e-6);
  EXPECT_NEAR(adda_encoder_loss(target).item<double>(), 1.313262, 1e-6);
  // An undecided discriminator: ln 2 per domain.
  const auto zero = torch::zeros({4, 1}, torch::kFloat64);
  EXPECT_NEAR(adda_discriminator_loss(zero, zero).item<double>(), 2 * std::log(2.0), 1e-12);
}

TEST(Adda, RejectsLogitsThatAreNotOneColumn) {
  EXPECT_THROW(adda_discriminator_loss(torch::zeros({4, 2}), torch::zeros({4, 1})), Error);
  EXPECT_THROW(adda_encoder_loss(torch::zeros({4})), Error);
}

// The source model is fixed once adaptation begins, batch-norm statistics
// included: every evaluation after the switch scores the source the same.
// The pre-training phase trains only the source model and logs no
// adversarial loss.
TEST(Adda, TheSourceModelStaysFixedWhileTheTargetEncoderAdapts) {
  EXPECT_TRUE(method_registry().contains("adda"));
  // The bottleneck has batch norm: its statistics must stay fixed too.
  const RunRecord r = testing::train_small(testing::kRotatedMoons, "{name: adda, pretrain: 0.5, bottleneck: 8}", 0,
                                           {"steps=400", "eval_every=50", "log_every=1"});
  const auto& steps = r.eval.steps;
  const auto& source = r.eval.columns.at("source.test_acc");
  const auto& target = r.eval.columns.at("target.test_acc");
  bool target_moved = false;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (steps[i] < 200) continue;  // the switch: floor(0.5 x 400)
    EXPECT_EQ(source[i], source.back()) << "step " << steps[i];
    target_moved = target_moved || target[i] != target.back();
  }
  EXPECT_TRUE(target_moved);
  const auto& encoder = r.train.columns.at("loss.encoder");
  EXPECT_TRUE(std::isnan(encoder[199]));
  EXPECT_FALSE(std::isnan(encoder[200]));
}

// ADDA's claim on the rotated moons: its target accuracy above source only's,
// both trained with Adam (the paper's optimizer for ADDA) at lr 1e-3, a
// discriminator of 32-32 for a 15-wide feature. With SGD at graft's moons
// rate (0.05, momentum 0.9) and the paper's 500-500 discriminator, the target
// encoder collapsed to one class on every seed measured (0.5 on seeds 0-2).
// Measured over seeds 0-9 under ATEN_CPU_CAPABILITY default, avx2 and avx512
// (Intel Xeon, 2026-12-03): ADDA gained 0.016-0.188 on every seed and path
// (mean 0.081, sd 0.056; 0.080 over seeds 0-4 on all three paths, which
// round alike here to the third digit). The margin is 2.4 standard errors of
// a five-seed mean below it.
constexpr double kAddaMinMeanGain = 0.02;

TEST(AddaOutcome, BeatsSourceOnlyOnRotatedMoons) {
  std::vector<double> gains;
  for (std::int64_t seed : testing::outcome_seeds({0, 1, 2, 3, 4})) {
    const std::vector<std::string> adam{"optimizer={name: adam, lr: 0.001}", "steps=2000"};
    const double source_only =
        testing::train_small(testing::kRotatedMoons, "{name: source_only}", seed, adam).final_metrics.at("target.test_acc");
    const double adda = testing::train_small(testing::kRotatedMoons, "{name: adda, domain_hidden: [32, 32]}", seed, adam)
                            .final_metrics.at("target.test_acc");
    testing::print_outcome(seed, {{"adda", adda}, {"source_only", source_only}});
    gains.push_back(adda - source_only);
  }
  EXPECT_GT(testing::mean_of(gains), kAddaMinMeanGain);
}

}  // namespace
}  // namespace graft
