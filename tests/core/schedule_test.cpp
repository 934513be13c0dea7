#include "core/schedule.h"

#include <cmath>

#include <gtest/gtest.h>

#include "core/registries.h"

namespace graft {
namespace {

std::shared_ptr<Schedule> make(const std::string& yaml) {
  return schedule_registry().create(parse_config_text(yaml, "t"), "schedule");
}

TEST(Schedule, DannAnnealingAtKnownPoints) {
  // mu_p / mu_0 = 1 / (1 + 10 p)^0.75 (Ganin et al. 2016).
  const auto s = make("{name: dann_annealing}");
  EXPECT_DOUBLE_EQ(s->factor(0, 101), 1.0);
  EXPECT_NEAR(s->factor(50, 101), 1.0 / std::pow(6.0, 0.75), 1e-12);
  EXPECT_NEAR(s->factor(100, 101), 1.0 / std::pow(11.0, 0.75), 1e-12);
}

TEST(Schedule, ProgressUsesTheRealNumberOfSteps) {
  EXPECT_DOUBLE_EQ(training_progress(0, 7), 0.0);
  EXPECT_DOUBLE_EQ(training_progress(6, 7), 1.0);
  EXPECT_DOUBLE_EQ(training_progress(3, 7), 0.5);
}

TEST(Schedule, CosineAndStep) {
  const auto cosine = make("{name: cosine, min_factor: 0.1}");
  EXPECT_DOUBLE_EQ(cosine->factor(0, 11), 1.0);
  EXPECT_NEAR(cosine->factor(5, 11), 0.55, 1e-12);
  EXPECT_NEAR(cosine->factor(10, 11), 0.1, 1e-12);
  const auto step = make("{name: step, every: 10, gamma: 0.5}");
  EXPECT_DOUBLE_EQ(step->factor(9, 100), 1.0);
  EXPECT_DOUBLE_EQ(step->factor(25, 100), 0.25);
}

}  // namespace
}  // namespace graft
