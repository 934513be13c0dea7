#pragma once
// VecMap (Artetxe, Labaka and Agirre): the self-learning engine of
// self_learning.h with VecMap's starts — a training dictionary, identical
// strings, numerals, or the unsupervised similarity-distribution start — and
// its multi-step final solve (MappingRecipe, alignment.h: whitening,
// orthogonal maps of both sides, re-weighting, de-whitening, dimensionality
// reduction; AAAI 2018). As in VecMap's map_embeddings.py, self-learning
// iterations use the orthogonal map and the recipe is solved once, on the
// final dictionary; without self-learning, step 0 is that solve.
//
// `mode` names VecMap's recommended settings (its --supervised,
// --semi_supervised, --identical, --unsupervised); keys given beside it
// override them:
//   every mode      normalize [unit, center, unit], map multistep, whiten,
//                   src_reweight 0.5, trg_reweight 0.5, src_dewhiten src,
//                   trg_dewhiten trg, csls_k 10
//   supervised      init train, no self-learning
//   semi_supervised init train, self-learning, vocabulary_cutoff 20000
//   identical       init identical, self-learning, vocabulary_cutoff 20000
//   unsupervised    init unsupervised (init_vocab 4000), self-learning,
//                   vocabulary_cutoff 20000

#include "methods/cross_lingual/self_learning.h"

namespace graft {

struct VecMapOptions : SelfLearningOptions, MappingRecipe {
  std::string mode = "unsupervised";  ///< supervised, semi_supervised, identical, unsupervised
  std::string init = "unsupervised";  ///< train, identical, numerals, unsupervised
  bool self_learning = true;
  VecMapOptions();
  static void declare(OptionSet<VecMapOptions>& o);
};

class VecMap : public SelfLearning {
 public:
  using Options = VecMapOptions;
  explicit VecMap(Options options);
  void setup(const SetupContext& ctx) override;

 protected:
  IndexPairs start_dictionary() const override;
  bool self_learns() const override { return options_.self_learning; }
  void finish(const IndexPairs& dictionary) override;

 private:
  Options options_;
};

}  // namespace graft
