#pragma once
// MDD: margin disparity discrepancy (Zhang, Liu, Long and Jordan, "Bridging
// Theory and Algorithm for Domain Adaptation", ICML 2019). Instead of a
// domain classifier, an adversarial classifier f' of the same shape as the
// main classifier f looks for the largest disagreement with f on the target
// that it can have while agreeing with f on the source; the features are
// trained to leave it none. With h_f(x) = argmax_k f(x)_k (no gradient) and
// sigma the softmax, the paper's algorithm section turns the margin
// disparity discrepancy into
//   E(P)        = E_{(x,y)~P} CE(f(psi(x)), y)
//   D_gamma(P,Q) = E_{x~Q} log(1 - sigma_{h_f(x)}(f'(psi(x))))
//                - gamma E_{x~P} CE(f'(psi(x)), h_f(x))
//   min_{f, psi} E(P) + eta D_gamma(P, Q),   max_{f'} D_gamma(P, Q)
// On the source the disparity is the cross-entropy of f' against h_f; on
// the target it is a modified one, log(1 - sigma): bounded above by 0, so
// f' maximising it has a finite goal, where -log sigma (the cross-entropy
// itself) would reward it without bound. gamma is the margin factor:
// gamma = 1 is the plain disparity discrepancy (TLlib's docstring); a larger
// gamma makes f' agree with f on the source by a margin before it may
// disagree on the target. The paper's equation numbers are not given here:
// its text was not at hand; the formulas were read from the authors' code
// (thuml/MDD, model/MDD.py) and TLlib (tllib/alignment/mdd.py, whose
// docstring states D_gamma as above), which agree with each other.
//
// Implemented, as both codes do, as one minimisation through a
// gradient-reversal layer R_lambda (gradient_reversal.h) between the
// features and f':
//   total = CE(f(psi(x_s)), y_s) + eta L_mdd,   L_mdd = -D_gamma (>= 0),
// so f' minimises L_mdd (maximises D_gamma), psi receives -lambda eta times
// its gradient, and f receives none from L_mdd (h_f is an argmax). With
// eta != 1 TLlib's trade_off also scales f''s own gradient, where the paper
// leaves f''s objective unweighted; at TLlib's eta = 1 the two agree.
// lambda warms up over the run's real steps, p = ctx.progress():
//   lambda(p) = grl_max (2 / (1 + exp(-grl_gamma p)) - 1)
// TLlib's WarmStartGradientReverseLayer(alpha 1, lo 0, hi 0.1, max_iters
// 1000), stepped once per iteration, has lambda_i = lo + (hi - lo)
// (2 / (1 + exp(-alpha i / max_iters)) - 1); over its Office-31 run of 20
// epochs x 1,000 iterations, alpha i / max_iters = 20 p: grl_max 0.1,
// grl_gamma 20 (lo = 0 is not exposed). The authors' code uses the same
// layer over 100,000 iterations (grl_gamma 100 in these terms). TLlib ties
// the ramp to 1,000 iterations whatever the run's length; here it follows p.
//
// The target term is computed exactly and stably as
//   log(1 - sigma_k(z)) = logsumexp_{j != k} z_j - logsumexp_j z_j,
// finite wherever the logits are (in float32, 1 - softmax is 0 once sigma_k
// is within ~3e-8 of 1, and log 0 would end the run). TLlib takes
// log(min(1 - sigma_k + 1e-6, 1)) instead (its shift_log), which caps the
// term at -log 1e-6 and zeroes its gradient where sigma_k < 1e-6:
// `target_log_offset: 1e-6` reproduces it. The authors' code takes the
// plain log, as the paper does.
//
// TLlib's Office-31 recipe (examples/.../image_classification/mdd.py): margin
// 4, trade_off 1, bottleneck 1024 (Linear-BN-ReLU-Dropout 0.5) and heads
// Linear 1024-ReLU-Dropout 0.5-Linear (here `bottleneck: 1024, head_hidden:
// [1024]`, without the dropouts); the authors use margin 4 on Office-31 and
// 2 on Office-Home. Give the heads a hidden layer: in a PyTorch copy on the
// two-moons toy, linear heads (6,000 steps, and a BatchNorm bottleneck before
// them at 3,000) let the game diverge: the features or f''s weights grow
// without bound and the losses overflow.

#include "methods/domain_adaptation/adaptation.h"

namespace graft {

/// L_mdd = -D_gamma: what the adversarial classifier minimises and the
/// features, through the gradient-reversal layer, maximise:
///   gamma mean_s CE(z'_s, h_s) - mean_t log(1 - softmax(z'_t)_{h_t})
/// for main logits z (h = argmax z, no gradient) and adversarial logits z',
/// each [batch, classes]. Each domain is averaged on its own, so the batches
/// may differ in size (TLlib averages the sum of the two per-row terms, which
/// needs equal sizes and then gives the same value).
/// `target_log_offset` > 0 takes TLlib's log(min(1 - softmax + offset, 1)).
///   auto loss = mdd_loss(y_s, y_s_adv, y_t, y_t_adv, 4.0);
torch::Tensor mdd_loss(const torch::Tensor& source_logits, const torch::Tensor& source_adversarial_logits,
                       const torch::Tensor& target_logits, const torch::Tensor& target_adversarial_logits,
                       double margin, double target_log_offset = 0.0);

struct MddOptions : TwoDomainOptions {
  double margin = 4.0;                           ///< gamma
  double weight = 1.0;                           ///< eta, TLlib's trade_off
  std::string grl_schedule = "progressive";
  double grl_max = 0.1;
  double grl_gamma = 20.0;
  std::vector<std::int64_t> adversarial_hidden;  ///< empty: the label head's head_hidden
  double target_log_offset = 0.0;
  static void declare(OptionSet<MddOptions>& o) {
    declare_two_domain_options(o);
    o.add("margin", &MddOptions::margin,
          "margin factor gamma on the source disparity (1: plain disparity discrepancy; TLlib and the authors: 4 on "
          "Office-31, the authors 2 on Office-Home)")
        .above(0.0);
    o.add("weight", &MddOptions::weight, "weight eta of the MDD term (TLlib's trade_off: 1)").min(0.0);
    o.add("grl_schedule", &MddOptions::grl_schedule,
          "progressive: the gradient-reversal coefficient is grl_max (2/(1+exp(-grl_gamma p)) - 1) over the real "
          "steps (TLlib's warm start); constant: grl_max")
        .choices({"progressive", "constant"});
    o.add("grl_max", &MddOptions::grl_max,
          "final coefficient of the gradient-reversal layer before the adversarial head (TLlib: 0.1)")
        .min(0.0);
    o.add("grl_gamma", &MddOptions::grl_gamma,
          "steepness of the progressive warm-up over the run (TLlib's Office-31 run: alpha 1 x 20,000 iterations / "
          "max_iters 1,000 = 20)")
        .min(0.0);
    o.add("adversarial_hidden", &MddOptions::adversarial_hidden,
          "hidden widths of the adversarial head (empty: the same as head_hidden, as in the paper and TLlib)")
        .min(1);
    o.add("target_log_offset", &MddOptions::target_log_offset,
          "0: the paper's log(1 - softmax) on the target, computed exactly; > 0: TLlib's log(min(1 - softmax + "
          "offset, 1)) (TLlib: 1e-6)")
        .min(0.0);
  }
};

class Mdd : public DomainAdaptation {
 public:
  using Options = MddOptions;
  explicit Mdd(Options options) : DomainAdaptation(options, "mdd"), options_(std::move(options)) {}

  StepReport train_step(StepContext& ctx) override;
  /// The gradient-reversal coefficient lambda at training progress p.
  double grl_coefficient_at(double progress) const;

 protected:
  void setup_extra(const SetupContext& ctx, std::int64_t feature_dim, std::int64_t classes) override;
  std::vector<ParameterGroup> extra_groups() override {
    return {{"adversarial_head", adversarial_head_->parameters(), 1.0}};
  }

 private:
  Options options_;
  torch::nn::Sequential adversarial_head_{nullptr};
};

}  // namespace graft
