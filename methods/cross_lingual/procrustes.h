#pragma once
// Procrustes alignment from a seed dictionary, then iterative refinement
// (Conneau et al., ICLR 2018, sec. 2.2 and 3.3; Artetxe et al., ACL 2017 for
// seeds without bilingual data). Step 0 solves W = U V^T on the seed; each
// further step is one refinement round: induce a dictionary from mutual CSLS
// nearest neighbours among the `max_rank` most frequent words and solve
// again. `steps: 1` is plain supervised Procrustes; `steps: 6` adds MUSE's 5
// rounds. Seeds: the training dictionary, identical strings, numerals, or a
// MUSE-format file.

#include "methods/cross_lingual/alignment.h"

namespace graft {

struct ProcrustesOptions : AlignmentOptions {
  std::string seed = "train";      ///< train, identical, numerals, file
  std::string seed_path;           ///< for seed: file
  std::int64_t max_rank = 15000;   ///< refinement: induce among the most frequent words
  static void declare(OptionSet<ProcrustesOptions>& o);
};

class Procrustes : public EmbeddingAlignment {
 public:
  using Options = ProcrustesOptions;
  explicit Procrustes(Options options) : EmbeddingAlignment(options), options_(std::move(options)) {}
  void setup(const SetupContext& ctx) override;
  StepReport train_step(StepContext& ctx) override;

 private:
  Options options_;
  IndexPairs seed_;
};

}  // namespace graft
