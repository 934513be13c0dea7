#pragma once
// MCC: minimum class confusion (Jin, Wang, Long and Wang, "Minimum Class
// Confusion for Versatile Domain Adaptation", ECCV 2020). No domain alignment:
// the classifier is penalised, on unlabelled target batches, for spreading its
// probability mass over pairs of classes, which on the target mostly means
// confusing the right class with a plausible wrong one.
//   Y     = softmax(Z / T)                                       (eq. 1)  [B, C]
//   H_i   = -sum_j Y_ij log Y_ij                                  (eq. 3)
//   W_ii  = B (1 + exp(-H_i)) / sum_i' (1 + exp(-H_i'))           (eq. 4)
//   C     = Y^T W Y                                               (eq. 5)  [C, C]
//   C~_jj' = C_jj' / sum_j'' C_jj''                               (eq. 6)
//   L_MCC = (1/|C|) sum_j sum_{j' != j} C~_jj'
//         = (sum(C~) - trace(C~)) / |C|                           (eq. 7)
//   total = L_CE(source) + mu L_MCC(target)                       (eq. 8)
// As in TLlib (tllib/self_training/mcc.py), the weights W carry no gradient:
// they say which examples to trust, and are not themselves optimised. TLlib
// divides C by `C.sum(dim=1)` without keepdim, which broadcasts along the last
// dimension: C_jj' / sum_j'' C_j'j'', a column normalisation. C is symmetric,
// so the diagonal, and with it the loss, equals that of the paper's row
// normalisation used here. Eq. 3-4 are CDAN+E's example weights, so this
// reuses cdan.h's entropy_weights (log of the probabilities floored at 1e-12);
// TLlib takes log(p + 1e-5), which moves the loss of the hand-computed test
// case by 9e-10. Scaling all weights by one factor cancels in eq. 6, so the
// normalisation to sum B shapes C but not the loss. Temperature 2.5 and
// mu = 1 are the defaults of TLlib's example
// (examples/domain_adaptation/image_classification/mcc.py).
//
// An out-of-tree plugin version of this method is the worked example in
// docs/examples/mcc_plugin; the two share no code.
// The equation numbers above agree with a secondary summary's numbering of
// arXiv:1912.03699v3; the paper itself was not reachable to check them
// against, so cite the formula, not the number.

#include "methods/domain_adaptation/adaptation.h"

namespace graft {

/// The weighted class confusion matrix of eq. 5, Y^T diag(w) Y, [C, C], for
/// probabilities Y [B, C] and example weights w [B].
torch::Tensor class_confusion(const torch::Tensor& probabilities, const torch::Tensor& weights);

/// Eq. 6-7 on a class confusion matrix [C, C]: normalise each row to sum 1,
/// then the off-diagonal mass divided by the number of classes.
torch::Tensor confusion_loss(const torch::Tensor& confusion);

/// L_MCC of target logits [B, C] at temperature T (eq. 1-7); the example
/// weights (eq. 3-4) are computed without gradient.
///   auto loss = mcc_loss(target_logits, 2.5);
torch::Tensor mcc_loss(const torch::Tensor& logits, double temperature);

struct MccOptions : TwoDomainOptions {
  double temperature = 2.5;
  double weight = 1.0;
  static void declare(OptionSet<MccOptions>& o) {
    declare_two_domain_options(o);
    o.add("temperature", &MccOptions::temperature, "softmax temperature T of eq. 1 (TLlib: 2.5)").above(0.0);
    o.add("weight", &MccOptions::weight, "weight mu of the MCC loss (eq. 8; TLlib's trade_off: 1)").min(0.0);
  }
};

class Mcc : public DomainAdaptation {
 public:
  using Options = MccOptions;
  explicit Mcc(Options options) : DomainAdaptation(options, "mcc"), options_(std::move(options)) {}
  StepReport train_step(StepContext& ctx) override;

 private:
  Options options_;
};

}  // namespace graft
