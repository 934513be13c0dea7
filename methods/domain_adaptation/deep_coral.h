#pragma once
// Deep CORAL (Sun & Saenko, ECCV-W 2016): align the second-order statistics
// of source and target features,
//   L_CORAL = || C_S - C_T ||_F^2 / (4 d^2)                       (eq. 1)
// with C the unbiased feature covariance of each batch (eq. 2-3), added to the
// source classification loss with weight `weight` (lambda in the paper).

#include "methods/domain_adaptation/adaptation.h"

namespace graft {

/// ||cov(source) - cov(target)||_F^2 / (4 d^2) for [n, d] feature batches.
torch::Tensor coral_loss(const torch::Tensor& source, const torch::Tensor& target);

struct DeepCoralOptions : TwoDomainOptions {
  double weight = 1.0;
  static void declare(OptionSet<DeepCoralOptions>& o) {
    declare_two_domain_options(o);
    o.add("weight", &DeepCoralOptions::weight, "weight of the CORAL loss (lambda of the paper)").min(0.0);
  }
};

class DeepCoral : public DomainAdaptation {
 public:
  using Options = DeepCoralOptions;
  explicit DeepCoral(Options options) : DomainAdaptation(options, "deep_coral"), options_(std::move(options)) {}
  StepReport train_step(StepContext& ctx) override;

 private:
  Options options_;
};

}  // namespace graft
