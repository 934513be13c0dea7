#pragma once
// Learning-rate schedules: a multiplier of every parameter group's base
// learning rate, as a function of training progress over the real number of
// steps of the run (never a hard-coded maximum).

#include <cstdint>

namespace graft {

class Schedule {
 public:
  virtual ~Schedule() = default;
  /// Multiplier at `step` (0-based) of `total_steps`.
  virtual double factor(std::int64_t step, std::int64_t total_steps) const = 0;
};

/// p in [0, 1]: the fraction of training done before `step`.
inline double training_progress(std::int64_t step, std::int64_t total_steps) {
  if (total_steps <= 1) return 0.0;
  const double p = static_cast<double>(step) / static_cast<double>(total_steps - 1);
  return p < 0.0 ? 0.0 : (p > 1.0 ? 1.0 : p);
}

}  // namespace graft
