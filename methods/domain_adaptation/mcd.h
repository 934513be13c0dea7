#pragma once
// MCD: maximum classifier discrepancy (Saito, Watanabe, Ushiku and Harada,
// "Maximum Classifier Discrepancy for Unsupervised Domain Adaptation", CVPR
// 2018). Two classifiers F1, F2 on one feature extractor G. Target examples
// the classifiers disagree on lie outside the source's support; G learns to
// move them inside by making the classifiers agree, the classifiers learn to
// find such examples by disagreeing. The discrepancy of two predictions is
//   d(p1, p2) = (1/K) sum_k |p1_k - p2_k|                          (eq. 1)
// averaged over the target batch. Every training step has three updates:
//   A: G, F1, F2 minimise L(Xs, Ys), both classifiers' cross-entropy  (eq. 2)
//   B: F1, F2 minimise L(Xs, Ys) - d(Xt)  with G fixed               (eq. 4-5)
//   C: G minimises d(Xt), num_k times, with F1, F2 fixed              (eq. 6)
// each an optimizer step of its own parameter groups (StepContext::update:
// averaged across processes, at the scheduled learning rate). As TLlib's
// example (examples/domain_adaptation/image_classification/mcd.py), A and B
// also minimise 0.01 x the entropy of the target predictions (not in the
// paper; `entropy_weight: 0` removes it), and the discrepancy has a weight
// (TLlib's trade_off, 1). The paper's digits runs use num_k = 4.
// The model evaluated is the two classifiers' mean probability.
// The equation numbers above follow a secondary summary's numbering of the
// paper (eq. 3 defines L, eq. 5 the expected discrepancy L_adv(Xt)); the paper
// itself was not reachable: cite the formula, not the number.

#include "methods/domain_adaptation/adaptation.h"

namespace graft {

/// d(p1, p2) of eq. 1, averaged over the batch, for probabilities [B, K].
torch::Tensor classifier_discrepancy(const torch::Tensor& probabilities1, const torch::Tensor& probabilities2);

/// Mean over the batch of the entropy of probabilities [B, K] (log floored at 1e-12).
torch::Tensor mean_entropy(const torch::Tensor& probabilities);

struct McdOptions : TwoDomainOptions {
  std::int64_t num_k = 4;
  double weight = 1.0;
  double entropy_weight = 0.01;
  static void declare(OptionSet<McdOptions>& o) {
    declare_two_domain_options(o);
    o.add("num_k", &McdOptions::num_k, "updates of the feature extractor per step (step C; paper: 4 for digits)")
        .min(1);
    o.add("weight", &McdOptions::weight, "weight of the classifier discrepancy in steps B and C (TLlib: 1)")
        .above(0.0);
    o.add("entropy_weight", &McdOptions::entropy_weight,
          "weight of the target predictions' entropy in steps A and B (TLlib: 0.01; the paper: 0)")
        .min(0.0);
  }
};

class Mcd : public DomainAdaptation {
 public:
  using Options = McdOptions;
  explicit Mcd(Options options) : DomainAdaptation(options, "mcd"), options_(std::move(options)) {}
  StepReport train_step(StepContext& ctx) override;
  Metrics evaluate(const EvalContext& ctx) override;

 private:
  void setup_extra(const SetupContext& ctx, std::int64_t feature_dim, std::int64_t classes) override;
  std::vector<ParameterGroup> extra_groups() override { return {{"second_head", second_head_->parameters(), 1.0}}; }
  /// The parameter groups of G: the backbone, and the bottleneck where there is one.
  std::vector<std::string> feature_groups() const;

  Options options_;
  torch::nn::Sequential second_head_{nullptr};
};

}  // namespace graft
