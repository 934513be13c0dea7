#pragma once
// IWAN: importance weighted adversarial nets (Zhang, Ding, Li and Ogunbona,
// "Importance Weighted Adversarial Nets for Partial Domain Adaptation", CVPR
// 2018), for partial domain adaptation: the target's classes are a subset of
// the source's. DANN aligns the whole source with the target, so it pulls
// target examples towards source classes the target does not have; IWAN
// aligns a reweighted source instead, in which the examples of those outlier
// classes weigh little. With z the features and two domain classifiers, each
// giving the probability that z is a source example:
//  * D (here the importance head) learns to tell the domains apart on
//    features detached from the backbone, so its loss moves no feature:
//      min_D  -E_{x~p_s} log D(z) - E_{x~p_t} log(1 - D(z))
//    Its optimum is D*(z) = p_s(z) / (p_s(z) + p_t(z)): a source example D is
//    sure of lies where the target has no mass, likely an outlier class.
//  * The importance weight of a source example, a constant to every module
//    (no gradient flows through it):
//      w~(z) = 1 - D(z)            (= 1 / (p_s(z)/p_t(z) + 1) at D*)
//      w(z)  = w~(z) / E_{z~p_s} w~(z)   (mean 1; here over the source batch)
//  * D0 (the domain head) plays the adversarial game against the features on
//    the weighted source:
//      min_F max_{D0}  E_{x~p_s} w(z) log D0(z) + E_{x~p_t} log(1 - D0(z))
//    whose value at the best D0 is -log 4 + 2 JS(w p_s || p_t): the features
//    are matched to the reweighted source, not to the whole of it.
//  * The entropy of the target predictions is minimised with weight gamma:
//      gamma E_{x~p_t} H(C(z))
// The paper's equation numbers are not given here: its text was not at hand.
// The formulas were read from a summary of its method section and checked
// against TLlib (tllib/reweight/iwan.py, ImportanceWeightModule; its example
// examples/domain_adaptation/partial_domain_adaptation/iwan.py) and the
// authors' Caffe loss layer (hellojing89/weightedGANpartialDA,
// weighted_sigmoid_cross_entropy_loss_layer.cpp: w = 1 - sigmoid, divided by
// its mean over the source rows), which agree.
//
// Implemented as TLlib does, as one minimisation with a gradient-reversal
// layer R_lambda (gradient_reversal.h) between the features and D0:
//   total = CE(C(z_s), y_s) + importance_factor weight L_D + weight L_D0
//           + entropy_weight mean_t H(softmax(C(z_t)))
//   L_D  = (mean_s BCE(D(sg z_s), 1) + mean_t BCE(D(sg z_t), 0)) / 2
//   L_D0 = (mean_s w BCE(D0(R z_s), 1) + mean_t BCE(D0(R z_t), 0)) / 2
// (sg: no gradient), so D minimises L_D, D0 minimises L_D0 and the features
// receive -lambda weight times L_D0's gradient. The source loss is the plain
// cross-entropy, unweighted (TLlib's too). TLlib's defaults: weight
// (trade_off) 3, importance_factor 1.5 (its D loss has weight 1.5 x
// trade_off; with the features detached this only sets how fast D learns),
// entropy_weight (gamma) 0.1; each domain classifier Linear 1024-ReLU-Dropout
// 0.5, twice, then Linear 1 (`domain_hidden: [1024, 1024], domain_dropout:
// 0.5`; the paper's are 1024-1024-1 too; graft keeps DANN's defaults for
// both heads). Its DomainAdversarialLoss reverses the gradient with
// lambda = 2 / (1 + exp(-i / 1000)) - 1 at iteration i, over 10 epochs of
// 1,000 iterations: gamma 10 and lambda_max 1 of DANN's progressive schedule
// over the run (AdversarialOptions' defaults). The rest of its recipe:
// bottleneck 256 (`bottleneck: 256`), SGD lr 0.001 (the backbone's 0.1x,
// `backbone_lr: 0.1`), Nesterov momentum 0.9, weight decay 1e-3, batch 36.
//
// Where graft differs from the paper or TLlib:
//  * As in TLlib, one backbone for both domains, trained on the source loss
//    throughout, and the entropy term reaches both the backbone and the label
//    head. The paper keeps a source extractor F_s, pre-trained and then
//    fixed, and a target extractor F_t initialised from it (as ADDA does,
//    adda.h), and minimises the entropy through F_t only, not C.
//  * The paper's own schedule of lambda was not checked against its text;
//    the summary read here gives it a smaller upper bound, 0.1
//    (`lambda_max: 0.1`).
//  * The weights are exactly normalised to mean 1, computed stably as
//    w_i = B softmax_i(log sigmoid(-d_i)) from D's logits d: where D is sure of
//    every source example (1 - D rounds to 0 in float32) they keep mean 1,
//    where TLlib's w / (mean w + 1e-5) falls to 0 and leaves D0's game
//    without a source side. Elsewhere the two differ by a relative 1e-5 /
//    mean(1 - D).
//  * Domain labels: source 1, target 0, as in the paper and TLlib (graft's
//    DANN labels the target 1); only the side the sigmoid stands for changes.
//  * The entropy is mcd.h's mean_entropy (log of the probabilities floored
//    at 1e-12); TLlib takes log(p + 1e-5).
//  * With several data-parallel processes each normalises the weights over
//    its own part of the source batch.

#include "methods/domain_adaptation/dann.h"

namespace graft {

/// The importance weights of source examples from D's logits d [B] or [B, 1]
/// (d > 0: D calls the example source): w_i = (1 - sigmoid(d_i)) / mean_j (1 -
/// sigmoid(d_j)), of mean 1, the same shape, without gradient.
///   auto w = importance_weights(d.slice(0, 0, source_rows));
torch::Tensor importance_weights(const torch::Tensor& source_logits);

/// A domain classifier's loss on source logits [Bs] or [Bs, 1] (label 1) and
/// target logits [Bt] or [Bt, 1] (label 0), each domain averaged on its own:
///   (mean_s w_s BCE(d_s, 1) + mean_t BCE(d_t, 0)) / 2.
/// `source_weights`: one per source row (undefined: all 1); the paper's w is
/// a constant, and importance_weights gives it without gradient.
///   auto loss = iwan_domain_loss(d_s, d_t, importance_weights(e_s));
torch::Tensor iwan_domain_loss(const torch::Tensor& source_logits, const torch::Tensor& target_logits,
                               const torch::Tensor& source_weights = {});

struct IwanOptions : AdversarialOptions {
  double weight = 3.0;             ///< TLlib's trade_off: the weighted adversarial loss L_D0
  double importance_factor = 1.5;  ///< D's loss has weight importance_factor x weight
  double entropy_weight = 0.1;     ///< gamma
  static void declare(OptionSet<IwanOptions>& o) {
    declare_adversarial_options(o);
    o.add("weight", &IwanOptions::weight,
          "weight of the importance-weighted adversarial loss of the domain head D0 (TLlib's trade_off: 3)")
        .min(0.0);
    o.add("importance_factor", &IwanOptions::importance_factor,
          "the importance head D's loss has weight importance_factor x weight; its features are detached, so this "
          "only sets how fast D learns (TLlib: 1.5)")
        .min(0.0);
    o.add("entropy_weight", &IwanOptions::entropy_weight,
          "weight gamma of the entropy of the target predictions (TLlib: 0.1; 0: no entropy term)")
        .min(0.0);
  }
};

class Iwan : public DomainAdaptation {
 public:
  using Options = IwanOptions;
  explicit Iwan(Options options) : DomainAdaptation(options, "iwan"), options_(std::move(options)) {}

  StepReport train_step(StepContext& ctx) override;
  /// lambda of the gradient-reversal layer before D0 at training progress p.
  double lambda_at(double progress) const { return adversarial_lambda(options_, progress); }

 protected:
  void setup_extra(const SetupContext& ctx, std::int64_t feature_dim, std::int64_t classes) override;
  std::vector<ParameterGroup> extra_groups() override {
    return {{"importance_head", importance_head_->parameters(), 1.0}, {"domain_head", domain_head_->parameters(), 1.0}};
  }

 private:
  Options options_;
  torch::nn::Sequential importance_head_{nullptr};  ///< D: gives the weights
  torch::nn::Sequential domain_head_{nullptr};      ///< D0: the adversary of the features
};

}  // namespace graft
