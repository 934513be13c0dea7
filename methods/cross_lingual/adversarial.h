#pragma once
// Unsupervised alignment by adversarial training, then refinement: MUSE
// (Conneau et al., "Word translation without parallel data", ICLR 2018,
// sec. 2.1-2.2, 3.1). A discriminator learns to tell mapped source vectors
// from target vectors; W learns to fool it and is kept near orthogonal by
// W <- (1 + beta) W - beta (W W^T) W after every mapping step. Model selection
// without bilingual data: the mean cosine of CSLS translations of the 10,000
// most frequent source words, checked every `select_every` steps; the best W
// starts `refine_rounds` Procrustes refinement rounds (the run's last steps).
//
// One framework step is one update: `dis_steps` discriminator steps, then one
// mapping step, repeated. Defaults are MUSE's (discriminator 2 x 2048,
// LeakyReLU 0.2, input dropout 0.1, smoothing 0.1, 5 discriminator steps,
// batch 32, the 75,000 most frequent words, beta 0.001; SGD lr 0.1 is the
// experiment's optimizer). MUSE's 5 epochs of 1,000,000 examples are
// `steps:` in the experiment, and each `select_every` steps play its epoch:
// after each criterion check the mapping's learning rate decays by
// `lr_decay` (0.98), and from the second check whose criterion is below the
// best on, it also shrinks by `lr_shrink` (0.5), down to `min_lr_factor`
// (MUSE's update_lr, on the mapping only). Graft's optimizer owns the
// learning rate, so the factor scales the mapping's gradient: the same
// update for SGD without momentum (MUSE's), which is why these steps are
// defined for it.
//
// Adversarial training can settle on a wrong local optimum (a permutation of
// clusters); `restarts: N` splits the adversarial steps into N runs from a
// random orthogonal W and a fresh discriminator, and the same unsupervised
// criterion picks the best W across all of them.

#include "methods/cross_lingual/alignment.h"

namespace graft {

struct AdversarialAlignmentOptions : AlignmentOptions {
  std::int64_t dis_layers = 2, dis_hidden = 2048;
  double dis_input_dropout = 0.1, dis_dropout = 0.0;
  std::int64_t dis_steps = 5;
  double dis_lambda = 1.0, dis_smooth = 0.1;
  std::int64_t dis_most_frequent = 75000;
  std::int64_t batch_size = 32;
  double map_beta = 0.001;
  std::int64_t select_every = 1000, select_rank = 10000;
  std::int64_t refine_rounds = 5, max_rank = 15000;
  std::int64_t restarts = 1;
  double map_lr_factor = 1.0;
  double lr_decay = 0.98, lr_shrink = 0.5, min_lr_factor = 1e-5;
  static void declare(OptionSet<AdversarialAlignmentOptions>& o);
};

/// MUSE's update_lr at the end of an epoch, as a factor of the starting
/// rate: times `decay`; and when `criterion` is below `best`, times `shrink`
/// too if an earlier check was below the best already (`shrink_next`, set
/// here); never below `floor`.
double muse_lr_scale(double scale, double criterion, double best, bool& shrink_next, double decay, double shrink,
                     double floor);

class AdversarialAlignment : public EmbeddingAlignment {
 public:
  using Options = AdversarialAlignmentOptions;
  explicit AdversarialAlignment(Options options) : EmbeddingAlignment(options), options_(std::move(options)) {}
  void setup(const SetupContext& ctx) override;
  std::vector<ParameterGroup> parameter_groups() override;
  /// Most of its time trains the discriminator, an MLP on batches of 64:
  /// a second OpenBLAS pool beside libtorch's made 1,500 steps slower (more
  /// than 7 min against 4 min 36 s with OpenBLAS on one thread, en_es.yaml).
  bool work_is_matrix_products() const override { return false; }
  StepReport train_step(StepContext& ctx) override;
  void after_update(StepContext& ctx) override;
  void save_extra(torch::serialize::OutputArchive& archive) const override;
  void load_extra(torch::serialize::InputArchive& archive) override;

 private:
  /// Discriminator logits for [mapped source batch; target batch] and the
  /// smoothed labels (source 1 - s, target s).
  std::pair<torch::Tensor, torch::Tensor> discriminate(bool mapping_grad);
  /// Computes the criterion and keeps the best W; in the adversarial phase
  /// also decays (and on a falling criterion shrinks) the mapping's rate.
  void select(StepReport& report, bool adversarial);
  void restart();

  Options options_;
  torch::nn::Sequential discriminator_{nullptr};
  torch::Tensor best_mapping_;   ///< registered buffer
  double best_criterion_ = -1e9;
  double lr_scale_ = 1.0;        ///< MUSE's decay and shrink so far (this restart)
  bool shrink_next_ = false;     ///< a criterion below the best was seen: the next one shrinks
  std::int64_t adversarial_steps_ = 0, restart_length_ = 0;
  bool mapping_step_ = false;
};

}  // namespace graft
