#pragma once
// Minimum Class Confusion (Jin, Wang, Long and Wang, "Minimum Class Confusion
// for Versatile Domain Adaptation", ECCV 2020): on unlabelled target batches,
// penalise how often the classifier confuses classes with each other.
//   Y  = softmax(Z / T)                                  [B, C], temperature T
//   w_i = B (1 + exp(-H(y_i))) / sum_j (1 + exp(-H(y_j)))   confident rows weigh more
//   M  = Y^T diag(w) Y, rows normalised to sum 1          class confusion
//   L  = (sum(M) - trace(M)) / C                          off-diagonal mass
// Total loss: cross-entropy on the source + trade_off * L. graft's built-in
// domain-adaptation base class gives the backbone, head, streams and
// evaluation; this file adds only the loss.

#include <graft/methods/domain_adaptation/adaptation.h>

namespace graft_mcc {

struct McCOptions : graft::TwoDomainOptions {
  double temperature = 2.5;
  double trade_off = 1.0;
  static void declare(graft::OptionSet<McCOptions>& o);
};

/// The MCC loss of target logits [B, C].
torch::Tensor class_confusion_loss(const torch::Tensor& logits, double temperature);

class MinimumClassConfusion : public graft::DomainAdaptation {
 public:
  using Options = McCOptions;
  explicit MinimumClassConfusion(Options options) : DomainAdaptation(options, "mcc_plugin"), options_(options) {}
  graft::StepReport train_step(graft::StepContext& ctx) override;

 private:
  Options options_;
};

}  // namespace graft_mcc
