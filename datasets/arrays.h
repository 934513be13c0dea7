#pragma once
// A data set of the user's own arrays (the `arrays` format of the data
// layer): numpy's .npz, or a folder of .npy files, holding the inputs and one
// or more targets under names the file gives. Held in memory, as the
// built-in sets are.
//
//   data:
//     source: {name: arrays, path: train.npz, inputs: x, targets: [label],
//              test: test.npz, holdout_fraction: 0.2}
//
// `label` is the classification target (whole numbers 0..K-1); other
// targets (several: multi-task) are taken as they are, float or integer, of
// any shape per example (per-pixel labels, depth maps). Without `test`, a
// test split is drawn like the validation split: a permutation seeded by
// `split_seed` alone, the same for every method and every run seed.

#include <cstdint>
#include <string>
#include <vector>

#include "core/data.h"
#include "core/options.h"

namespace graft {

struct ArraysOptions {
  std::string path;                          ///< a .npz file, or a folder of NAME.npy files
  std::string inputs = "x";                  ///< the array of inputs, [N, ...]
  std::vector<std::string> targets{"label"};  ///< arrays of targets, [N, ...] each
  std::string test;                          ///< optional: the test split's .npz or folder, same names
  double holdout_fraction = 0.2;             ///< of the training arrays, held out as the val split
  double test_fraction = 0.0;                ///< without `test`: also held out, as the test split
  std::int64_t split_seed = 0;               ///< the permutation behind both fractions
  std::int64_t num_classes = 0;              ///< of `label`; 0: its largest value + 1

  static void declare(OptionSet<ArraysOptions>& o);
};

struct Arrays : DataSet {
  using Options = ArraysOptions;
  Arrays(Options options, const DataContext& ctx);
};

}  // namespace graft
