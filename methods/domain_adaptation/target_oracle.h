#pragma once
// Target oracle: supervised training on the labelled *target* domain — the
// "train on target" upper bound of Ganin et al.'s Table 2. It reads target
// labels, so it is a reference row, never a domain-adaptation method.

#include "methods/domain_adaptation/source_only.h"

namespace graft {

struct TargetOracleOptions : SourceOnlyOptions {
  TargetOracleOptions() { domain = "target"; }
  static void declare(OptionSet<TargetOracleOptions>& o) {
    o.add("domain", static_cast<std::string TargetOracleOptions::*>(&SourceOnlyOptions::domain),
          "the `data:` domain whose labels are trained on (the target)");
    o.add("head_hidden", static_cast<std::vector<std::int64_t> TargetOracleOptions::*>(&SourceOnlyOptions::head_hidden),
          "hidden widths of the label head (empty: linear)")
        .min(1);
  }
};

class TargetOracle : public SourceOnly {
 public:
  using Options = TargetOracleOptions;
  explicit TargetOracle(Options options) : SourceOnly(options) {}
};

}  // namespace graft
