#pragma once
// Fully unsupervised self-learning in the manner of VecMap (Artetxe, Labaka
// and Agirre, "A robust self-learning method for fully unsupervised
// cross-lingual mappings of word embeddings", ACL 2018):
//  * initial dictionary without bilingual data: for the `init_vocab` most
//    frequent words of each language, the rows of sqrt(X X^T) = U S U^T,
//    each sorted (a word's similarity distribution does not depend on the
//    language if the spaces are isometric), normalised, matched by CSLS in
//    both directions;
//  * then one self-learning iteration per step: orthogonal map on the current
//    dictionary; a new dictionary from nearest neighbours among the
//    `vocabulary_cutoff` most frequent words in both directions, with CSLS and
//    stochastic dictionary induction (each similarity kept with probability p,
//    p starting at `keep_prob` and multiplied by `stochastic_multiplier`
//    whenever the objective has not improved for `stochastic_interval`
//    iterations); converged when p = 1 and no further improvement. Remaining
//    steps then change nothing.
// VecMap's final whitening/re-weighting steps are not applied: the map stays
// orthogonal, like the other methods here.

#include "methods/cross_lingual/alignment.h"

namespace graft {

struct SelfLearningOptions : AlignmentOptions {
  std::int64_t init_vocab = 4000;
  std::int64_t vocabulary_cutoff = 20000;
  double keep_prob = 0.1;
  double stochastic_multiplier = 2.0;
  std::int64_t stochastic_interval = 50;
  double threshold = 1e-6;
  static void declare(OptionSet<SelfLearningOptions>& o);
};

class SelfLearning : public EmbeddingAlignment {
 public:
  using Options = SelfLearningOptions;
  explicit SelfLearning(Options options) : EmbeddingAlignment(options), options_(std::move(options)) {}
  void setup(const SetupContext& ctx) override;
  StepReport train_step(StepContext& ctx) override;
  void save_extra(torch::serialize::OutputArchive& archive) const override;
  void load_extra(torch::serialize::InputArchive& archive) override;

  /// The initial dictionary from sorted similarity distributions.
  IndexPairs initial_dictionary() const;

 private:
  Options options_;
  IndexPairs dictionary_pairs_;
  double keep_prob_ = 0.1, best_objective_ = -1e9;
  std::int64_t iteration_ = 0, last_improvement_ = 0;
  bool converged_ = false;
};

}  // namespace graft
