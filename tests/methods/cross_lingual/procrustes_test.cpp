// Supervised Procrustes and refinement from seeds without bilingual data, on
// a vocabulary whose rotation is known.

#include "methods/cross_lingual/procrustes.h"

#include <gtest/gtest.h>

#include "tests/methods/cross_lingual/alignment_test_util.h"

namespace graft::testing {
namespace {

TEST(ProcrustesOutcome, SupervisedMapRecoversTheRotation) {
  RotatedVocabulary vocab;
  const auto r = train_small(vocab.experiment(1), "{name: procrustes}");
  EXPECT_GT(final_metric(r, "test.p1_csls"), 99.0);
  EXPECT_GT(final_metric(r, "test.p1_nn"), 99.0);
}

TEST(ProcrustesOutcome, RefinementFromNumeralsReachesTheSupervisedResult) {
  RotatedVocabulary vocab(1000, 20, 0.05);
  const auto supervised = train_small(vocab.experiment(1), "{name: procrustes}");
  const auto one_round = train_small(vocab.experiment(1), "{name: procrustes, seed: numerals}");
  const auto refined = train_small(vocab.experiment(4), "{name: procrustes, seed: numerals}");
  EXPECT_GE(final_metric(refined, "test.p1_csls"), final_metric(one_round, "test.p1_csls"));
  EXPECT_NEAR(final_metric(refined, "test.p1_csls"), final_metric(supervised, "test.p1_csls"), 2.0);
  // Every step logged its dictionary size; refinement induces far more pairs than the 50 numerals.
  EXPECT_EQ(refined.train.columns.at("dictionary_pairs").front(), 50.0);
  EXPECT_GT(refined.train.columns.at("dictionary_pairs").back(), 500.0);
}

TEST(ProcrustesOutcome, SeedFromAFileAndClearErrors) {
  RotatedVocabulary vocab;
  const auto r = train_small(vocab.experiment(1), "{name: procrustes, seed: file, seed_path: " + vocab.train_dict + "}");
  EXPECT_GT(final_metric(r, "test.p1_csls"), 99.0);
  const auto failed = train_small(vocab.experiment(1), "{name: procrustes, seed: file}", 0, {}, false);
  EXPECT_EQ(failed.status, "failed");
  EXPECT_NE(failed.message.find("seed_path"), std::string::npos) << failed.message;
}

}  // namespace
}  // namespace graft::testing
