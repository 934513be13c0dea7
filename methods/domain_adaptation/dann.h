#pragma once
// DANN: domain-adversarial training of neural networks (Ganin et al., JMLR
// 2016). A label classifier on the source and a domain classifier on source
// and target features; the domain loss reaches the feature extractor through
// a gradient-reversal layer, so the features become domain-invariant:
//   E = L_y(source) - lambda * (L_d(source) + L_d(target))        (eq. 9)
// implemented as L_y + L_d with R_lambda in front of the domain head, so the
// domain classifier minimises L_d with weight 1 while lambda scales only the
// gradient that reaches the features.

#include "methods/domain_adaptation/adaptation.h"

namespace graft {

/// Options of the lambda schedule and the domain classifier, shared by DANN and CDAN.
struct AdversarialOptions : TwoDomainOptions {
  std::string lambda_schedule = "progressive";
  double lambda_max = 1.0;
  double gamma = 10.0;
  std::vector<std::int64_t> domain_hidden{100};  ///< the paper's MNIST domain classifier: fc100-fc1
  double domain_dropout = 0.0;
  bool domain_batch_norm = false;  ///< TLlib's discriminator: BatchNorm after each hidden Linear
};

template <class T>
void declare_adversarial_options(OptionSet<T>& o) {
  declare_two_domain_options(o);
  using A = AdversarialOptions;
  o.add("lambda_schedule", static_cast<std::string T::*>(&A::lambda_schedule),
        "progressive: lambda_max (2/(1+exp(-gamma p)) - 1) over the real steps; constant: lambda_max")
      .choices({"progressive", "constant"});
  o.add("lambda_max", static_cast<double T::*>(&A::lambda_max), "final weight of the reversed domain gradient").min(0.0);
  o.add("gamma", static_cast<double T::*>(&A::gamma), "gamma of the progressive schedule (paper: 10)").min(0.0);
  o.add("domain_hidden", static_cast<std::vector<std::int64_t> T::*>(&A::domain_hidden),
        "hidden widths of the domain classifier (paper, MNIST: [100])")
      .min(1);
  o.add("domain_dropout", static_cast<double T::*>(&A::domain_dropout), "dropout in the domain classifier")
      .min(0.0)
      .max(0.95);
  o.add("domain_batch_norm", static_cast<bool T::*>(&A::domain_batch_norm),
        "BatchNorm after each hidden layer of the domain classifier (TLlib: Linear-BN-ReLU x 2, width 1024)")
      .saved_unless_default();
}

/// lambda at progress p under `options`.
double adversarial_lambda(const AdversarialOptions& options, double progress);

struct DannOptions : AdversarialOptions {
  static void declare(OptionSet<DannOptions>& o) { declare_adversarial_options(o); }
};

class Dann : public DomainAdaptation {
 public:
  using Options = DannOptions;
  explicit Dann(Options options) : Dann(options, "dann") {}

  StepReport train_step(StepContext& ctx) override;
  /// lambda at training progress p.
  double lambda_at(double progress) const { return adversarial_lambda(adversarial_, progress); }

 protected:
  /// For methods built on DANN (BSP): their name, for messages.
  Dann(const AdversarialOptions& options, std::string name)
      : DomainAdaptation(options, std::move(name)), adversarial_(options) {}
  void setup_extra(const SetupContext& ctx, std::int64_t feature_dim, std::int64_t classes) override;
  std::vector<ParameterGroup> extra_groups() override { return {{"domain_head", domain_head_->parameters(), 1.0}}; }
  /// A term a method built on DANN adds to its objective (undefined: none),
  /// and the scalars it logs beside DANN's.
  virtual torch::Tensor extra_term(const Forward& /*forward*/, Metrics& /*scalars*/) { return {}; }
  /// The domain classifier's logits [n] of features [n, d], behind a
  /// gradient-reversal layer of weight lambda: for methods built on DANN that
  /// weight its loss per example (PADA).
  torch::Tensor domain_logits_of(const torch::Tensor& features, double lambda);

 private:
  AdversarialOptions adversarial_;
  torch::nn::Sequential domain_head_{nullptr};
};

}  // namespace graft
