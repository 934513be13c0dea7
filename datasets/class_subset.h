#pragma once
// Some classes of another data set: the targets of partial and open-set
// domain adaptation, derived from any data set (built-in, folders, lists,
// arrays) without copying it.
//
//   partial (the target has a subset of the source's classes):
//     target: {name: class_subset, of: {name: uci_digits, size: 28}, keep: [0, 1, 2, 3, 4]}
//   open set (the target has classes the source lacks, scored as one "unknown"):
//     source: {name: class_subset, of: {name: mnist}, keep: [0, 1, 2, 3, 4, 5]}
//     target: {name: class_subset, of: {name: uci_digits, size: 28}, unknown: [6, 7, 8, 9]}
//
// Labels never change meaning: a kept class keeps its label, and the label
// space ends at the largest class kept, so the source's classifier scores
// the target directly. `unknown` classes all become label K, one past the K
// known classes, which must therefore be 0..K-1 (TLlib's open-set protocol:
// the known classes are the first ones); DataSet::unknown_class says so, and
// evaluation then reports OS*, UNK and HOS beside the accuracy. Inputs are
// normalised as the whole set is (its training split's statistics).

#include "core/config.h"
#include "core/data.h"
#include "core/options.h"

namespace graft {

struct ClassSubsetOptions {
  ConfigNode of;       ///< the data set entry the classes are taken from
  ConfigNode keep;     ///< classes whose examples stay (null: all)
  ConfigNode unknown;  ///< classes merged into one "unknown" class (null: none)
  static void declare(OptionSet<ClassSubsetOptions>& o);
};

struct ClassSubset : DataSet {
  using Options = ClassSubsetOptions;
  ClassSubset(Options options, const DataContext& ctx);
};

}  // namespace graft
