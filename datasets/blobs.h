#pragma once
// K Gaussian clusters in 2-D, optionally rotated: a many-class sibling of the
// two moons, small enough for the outcome tests of partial and open-set
// adaptation (whose targets drop or hide classes; datasets/class_subset.h).
// For tests, not for claims.
//
// Class k is centred at angle 2 pi k / K on a circle of radius 1 + 0.5 (k mod 2):
// alternating radii, so a rotation by one class's angle does not map the
// ring onto itself and aligning the two domains' marginals has one answer.

#include <cstdint>

#include "core/data.h"
#include "core/options.h"

namespace graft {

struct BlobsOptions {
  std::int64_t classes = 6;
  std::int64_t train_per_class = 50;
  std::int64_t test_per_class = 200;
  double noise = 0.2;     ///< std of each cluster, per coordinate
  double rotation = 0.0;  ///< degrees, about the origin

  static void declare(OptionSet<BlobsOptions>& o) {
    o.add("classes", &BlobsOptions::classes, "number of clusters, one class each").min(2).max(1000);
    o.add("train_per_class", &BlobsOptions::train_per_class, "training points per class").min(1);
    o.add("test_per_class", &BlobsOptions::test_per_class, "val and test points per class, each").min(1);
    o.add("noise", &BlobsOptions::noise, "std of each cluster per coordinate").min(0.0);
    o.add("rotation", &BlobsOptions::rotation, "rotation in degrees about the origin (a target domain)")
        .min(-360.0)
        .max(360.0);
  }
};

/// `per_class` points of each of the `options.classes` clusters, labels 0..K-1 in order.
Split sample_blobs(const BlobsOptions& options, std::int64_t per_class, torch::Generator& generator);

/// The registered data set: splits train / val / test, `classes` classes.
struct Blobs : DataSet {
  using Options = BlobsOptions;
  Blobs(Options options, const DataContext& ctx);
};

}  // namespace graft
