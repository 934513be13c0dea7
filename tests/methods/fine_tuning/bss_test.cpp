#include "methods/fine_tuning/bss.h"

#include <gtest/gtest.h>

namespace graft {
namespace {

TEST(Bss, PenaltyAgainstADirectSvd) {
  torch::manual_seed(0);
  const auto f = torch::randn({16, 5}, torch::kFloat64);
  const auto s = std::get<1>(torch::linalg_svd(f, false));  // descending
  EXPECT_NEAR(bss_penalty(f, 1, 0.5).item<double>(), 0.5 * s[4].pow(2).item<double>(), 1e-10);
  EXPECT_NEAR(bss_penalty(f, 2, 1.0).item<double>(), (s[3].pow(2) + s[4].pow(2)).item<double>(), 1e-10);
}

}  // namespace
}  // namespace graft
