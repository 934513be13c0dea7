// MUSE's adversarial alignment must recover a known rotation without any
// dictionary (the bar: P@1 above 95%), and the orthogonalisation must
// keep W orthogonal.

#include "methods/cross_lingual/adversarial.h"

#include <gtest/gtest.h>

#include "tests/methods/cross_lingual/alignment_test_util.h"

namespace graft::testing {
namespace {

TEST(AdversarialOutcome, RecoversANoisyRandomRotationWithoutADictionary) {
  // 1,000 words in 20 dimensions: a far smaller problem than MUSE's 200,000
  // x 300, where its defaults (5 discriminator steps, batch 32) let the
  // discriminator win; one discriminator step per mapping step and batches
  // of 256 keep the game balanced here.
  const std::string method =
      "{name: adversarial, dis_hidden: 256, dis_steps: 1, batch_size: 256, select_every: 500, refine_rounds: 5}";
  for (std::int64_t seed : outcome_seeds({0})) {
    RotatedVocabulary vocab(1000, 20, 0.01, 8, 3 + seed);
    const auto r = train_small(vocab.experiment(12005), method, seed, {"log_every=1"});
    print_outcome(seed, {{"p1_csls", final_metric(r, "test.p1_csls")}});
    EXPECT_GT(final_metric(r, "test.p1_csls"), 95.0) << "seed " << seed;
    // The criterion logged during training is MUSE's mean cosine, and it rose.
    const auto& criterion = r.train.columns.at("criterion");
    double first = NAN, last = NAN;
    for (double c : criterion)
      if (!std::isnan(c)) {
        if (std::isnan(first)) first = c;
        last = c;
      }
    EXPECT_GT(last, first) << "seed " << seed;
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

TEST(Adversarial, RefusesARunShorterThanItsRefinement) {
  RotatedVocabulary vocab;
  const auto r = train_small(vocab.experiment(3), "{name: adversarial, refine_rounds: 5}", 0, {}, false);
  EXPECT_EQ(r.status, "failed");
  EXPECT_NE(r.message.find("refine_rounds"), std::string::npos) << r.message;
}

}  // namespace
}  // namespace graft::testing
