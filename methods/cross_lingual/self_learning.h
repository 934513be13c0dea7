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
// The map stays orthogonal here, like MUSE's; `vecmap` (vecmap.h) is this
// engine with VecMap's other starts and its final multi-step solve.

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

/// One round of VecMap's stochastic dictionary induction on the similarities
/// `sim` = S T^T ([n, m], float32, CPU) of the `vocabulary_cutoff` most
/// frequent words: r_s(i), r_t(j) the means of the k largest similarities of
/// row i and of column j; forward[i] = argmax_j keep(i, j) (sim - r_t(j) / 2)
/// (CSLS up to terms constant in j), backward[j] = argmax_i keep'(i, j)
/// (sim - r_s(i) / 2), a dropped entry counting 0 as in VecMap's dropout;
/// objective = (mean_i max_j sim + mean_j max_i sim) / 2 (before dropping).
/// Each entry is kept with probability keep_prob, decided by a hash of
/// (seed, direction, i, j): no random matrix is drawn. Two passes over `sim`
/// on every thread (rows split among them), nothing else of its size.
struct InducedDictionary {
  torch::Tensor forward, backward;  ///< [n] target of each row, [m] source of each column (int64)
  double objective = 0.0;
};
InducedDictionary induce_stochastic_csls(const torch::Tensor& sim, std::int64_t k, double keep_prob,
                                         std::uint64_t seed);

/// Declares the SelfLearningOptions keys for T (deriving from it).
template <class T>
void declare_self_learning_options(OptionSet<T>& o) {
  using S = SelfLearningOptions;
  declare_alignment_options(o);
  o.add("init_vocab", static_cast<std::int64_t T::*>(&S::init_vocab),
        "most frequent words used for the similarity-distribution start")
      .min(2);
  o.add("vocabulary_cutoff", static_cast<std::int64_t T::*>(&S::vocabulary_cutoff),
        "dictionary induction among this many most frequent words")
      .min(2);
  o.add("keep_prob", static_cast<double T::*>(&S::keep_prob),
        "initial probability of keeping a similarity (stochastic induction)")
      .above(0.0)
      .max(1.0);
  o.add("stochastic_multiplier", static_cast<double T::*>(&S::stochastic_multiplier),
        "keep_prob grows by this factor after a plateau")
      .above(1.0);
  o.add("stochastic_interval", static_cast<std::int64_t T::*>(&S::stochastic_interval),
        "iterations without improvement that make a plateau")
      .min(1);
  o.add("threshold", static_cast<double T::*>(&S::threshold), "smallest objective gain that counts as improvement")
      .min(0.0);
}

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

 protected:
  /// The dictionary of step 0 (by default initial_dictionary()).
  virtual IndexPairs start_dictionary() const { return initial_dictionary(); }
  /// False: step 0 solves finish() on the start dictionary and stops.
  virtual bool self_learns() const { return true; }
  /// The last solve, on the final dictionary, once converged. By default the
  /// orthogonal map of the last iteration stays.
  virtual void finish(const IndexPairs& dictionary) { (void)dictionary; }

 private:
  Options options_;
  IndexPairs dictionary_pairs_;
  double keep_prob_ = 0.1, best_objective_ = -1e9;
  std::int64_t iteration_ = 0, last_improvement_ = 0;
  bool converged_ = false;
  /// The iteration's [cutoff, cutoff] similarities, kept between iterations:
  /// a fresh 1.6 GB matrix each time came page-faulted and zeroed by the
  /// kernel. Released once converged; not part of a checkpoint.
  torch::Tensor similarity_;
};

}  // namespace graft
