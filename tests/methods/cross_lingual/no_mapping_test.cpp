// The identity baseline: near chance on a rotated vocabulary, far below any
// alignment.

#include "methods/cross_lingual/no_mapping.h"

#include <gtest/gtest.h>

#include "tests/methods/cross_lingual/alignment_test_util.h"

namespace graft::testing {
namespace {

TEST(NoMappingOutcome, IsNearChanceOnARotatedVocabulary) {
  RotatedVocabulary vocab;
  const auto none = train_small(vocab.experiment(1), "{name: no_mapping}");
  const auto supervised = train_small(vocab.experiment(1), "{name: procrustes}");
  EXPECT_LT(final_metric(none, "test.p1_csls"), 5.0);
  EXPECT_GT(final_metric(supervised, "test.p1_csls"), final_metric(none, "test.p1_csls") + 90.0);
}

}  // namespace
}  // namespace graft::testing
