// MUSE's adversarial alignment on a small case with a known answer.
#include "methods/cross_lingual/adversarial.h"

#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "tests/methods/cross_lingual/alignment_test_util.h"

namespace graft::testing {
namespace {

// What it does robustly: the adversarial game raises MUSE's unsupervised
// criterion (the mean cosine of CSLS translations) well above that of the
// random orthogonal start. Measured on seeds 0-4 (the vocabulary drawn from
// seed + 3, 2,005 steps) under avx2 and default: from 0.53-0.72 to
// 0.85-1.00, a rise of 0.16 at the least; the claim is a rise above 0.05.
// What it does not do robustly: recover the rotation. P@1 after refinement
// was 100 on some seeds and 0-12 on the others (seed 4: 100 under avx2, 0
// under default); at 12,005 steps 75.0 / 67.7 (seed 0, avx2 / default) and
// 0.3 (seed 1), with 6 restarts 23.7 and 0.3. Its failed maps send clusters
// of the mixture onto other clusters; their criterion (0.85-0.93) is below a
// recovered map's (1.00), so more restarts would help here, at their cost.
// An earlier version of this test asserted P@1 > 95 on the one seed and
// vocabulary where it held on the machine that wrote it. On an Intel Xeon
// over seeds 0-9: avx512 0.53-0.72 to 0.85-0.91 (P@1 0-3), default to
// 0.84-1.00 (P@1 100 on one seed, 0-3 on the rest).
TEST(AdversarialOutcome, RaisesMusesCriterionOnANoisyRandomRotation) {
  const std::string method =
      "{name: adversarial, dis_hidden: 256, dis_steps: 1, batch_size: 256, select_every: 250, refine_rounds: 5}";
  for (std::int64_t seed : outcome_seeds({0, 1, 2})) {
    RotatedVocabulary vocab(1000, 20, 0.01, 8, 3 + seed);
    const auto r = train_small(vocab.experiment(2005), method, seed, {"log_every=1"});
    std::vector<double> criterion;
    for (double c : r.train.columns.at("criterion"))
      if (!std::isnan(c)) criterion.push_back(c);
    ASSERT_GE(criterion.size(), 2u);
    const double best = *std::max_element(criterion.begin(), criterion.end());
    print_outcome(seed, {{"criterion_first", criterion.front()}, {"criterion_best", best},
                         {"p1_csls", final_metric(r, "test.p1_csls")}});
    EXPECT_GT(best, criterion.front() + 0.05) << "seed " << seed;
  }
}

TEST(Adversarial, RestartsAreEachJudgedByTheCriterion) {
  RotatedVocabulary vocab;
  // 3 restarts of 100 steps: the criterion is computed at the end of each
  // (select_every is longer than a restart), then the refinement round.
  const auto r = train_small(vocab.experiment(301),
                             "{name: adversarial, dis_hidden: 32, restarts: 3, select_every: 1000, refine_rounds: 1}",
                             0, {"log_every=1"});
  std::vector<std::int64_t> selected_at;
  const auto& criterion = r.train.columns.at("criterion");
  for (std::size_t i = 0; i < criterion.size(); ++i)
    if (!std::isnan(criterion[i])) selected_at.push_back(r.train.steps[i]);
  EXPECT_EQ(selected_at, (std::vector<std::int64_t>{99, 199, 299, 300}));
}

// MUSE's update_lr by hand: criteria 0.5, 0.6, 0.55, 0.58, 0.7 against the
// best so far. Every check decays by 0.98; 0.55 is the first below the best
// (no shrink yet), 0.58 the second (x 0.5).
TEST(Adversarial, LearningRateDecaysAndShrinksAsMusesUpdateLr) {
  bool shrink_next = false;
  double scale = 1.0, best = -1e9;
  std::vector<double> scales;
  for (const double criterion : {0.5, 0.6, 0.55, 0.58, 0.7}) {
    scale = muse_lr_scale(scale, criterion, best, shrink_next, 0.98, 0.5, 1e-5);
    best = std::max(best, criterion);
    scales.push_back(scale);
  }
  const std::vector<double> expected{0.98, 0.9604, 0.941192, 0.941192 * 0.98 * 0.5, 0.941192 * 0.98 * 0.5 * 0.98};
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(scales[i], expected[i], 1e-12) << i;
  EXPECT_EQ(muse_lr_scale(2e-5, 0.1, 0.9, shrink_next, 0.98, 0.5, 1e-5), 1e-5);  // the floor
}

TEST(Adversarial, RefusesARunShorterThanItsRefinement) {
  RotatedVocabulary vocab;
  const auto r = train_small(vocab.experiment(3), "{name: adversarial, refine_rounds: 5}", 0, {}, false);
  EXPECT_EQ(r.status, "failed");
  EXPECT_NE(r.message.find("refine_rounds"), std::string::npos) << r.message;
}

}  // namespace
}  // namespace graft::testing
