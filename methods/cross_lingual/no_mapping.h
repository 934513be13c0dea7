#pragma once
// The baseline every alignment must beat: W = I, source vectors compared with
// target vectors as they are (independently trained spaces: near chance).

#include "methods/cross_lingual/alignment.h"

namespace graft {

struct NoMappingOptions : AlignmentOptions {
  static void declare(OptionSet<NoMappingOptions>& o) { declare_alignment_options(o); }
};

class NoMapping : public EmbeddingAlignment {
 public:
  using Options = NoMappingOptions;
  explicit NoMapping(Options options) : EmbeddingAlignment(std::move(options)) {}
  StepReport train_step(StepContext&) override {
    StepReport report;
    report.apply_update = false;
    return report;
  }
};

}  // namespace graft
