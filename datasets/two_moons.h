#pragma once
// Two interleaving half-moons in 2-D, optionally rotated: the toy
// domain-adaptation problem of Ganin et al. (JMLR 2016, sec. 5.1), where the
// target is the source rotated by 35 degrees. For tests and the quick start,
// not for claims.

#include <cstdint>

#include "core/data.h"
#include "core/options.h"

namespace graft {

struct TwoMoonsOptions {
  std::int64_t train_per_moon = 150;   ///< the paper: 150 points per moon
  std::int64_t test_per_moon = 500;
  double noise = 0.1;                  ///< std of Gaussian noise added to each point
  double rotation = 0.0;               ///< degrees, about the centre of the two moons
  double scale = 1.0;                  ///< stretch about the centre (a covariance shift)

  static void declare(OptionSet<TwoMoonsOptions>& o) {
    o.add("train_per_moon", &TwoMoonsOptions::train_per_moon, "training points per moon (paper: 150)").min(1);
    o.add("test_per_moon", &TwoMoonsOptions::test_per_moon, "val and test points per moon, each").min(1);
    o.add("noise", &TwoMoonsOptions::noise, "std of the Gaussian noise on each coordinate").min(0.0);
    o.add("rotation", &TwoMoonsOptions::rotation, "rotation in degrees (target domain: 35)").min(-360.0).max(360.0);
    o.add("scale", &TwoMoonsOptions::scale, "stretch about the centre after rotating (a covariance shift)").above(0.0);
  }
};

/// Samples `per_moon` points of each moon with labels 0 (upper) and 1 (lower).
Split sample_two_moons(std::int64_t per_moon, double noise, double rotation_degrees, torch::Generator& generator,
                       double scale = 1.0);

/// The registered data set: splits train / val / test, 2 classes.
struct TwoMoons : DataSet {
  using Options = TwoMoonsOptions;
  TwoMoons(Options options, const DataContext& ctx);
};

}  // namespace graft
