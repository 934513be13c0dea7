#pragma once
// CDAN: conditional adversarial domain adaptation (Long et al., NeurIPS 2018).
// The domain classifier sees the multilinear map h = f (x) g of the features f
// and the class predictions g = softmax(logits) (eq. 4), so it aligns the
// joint distribution of features and predictions. With `entropy: true`
// (CDAN+E, eq. 9) each example is weighted by w = 1 + exp(-H(g)), normalised
// to mean 1 within the batch, so confident predictions count more. When
// C x d exceeds `random_dim`, the randomized multilinear map
// (R_f f) .* (R_g g) / sqrt(random_dim) with fixed Gaussian R_f, R_g (eq. 6)
// stands in for the outer product. The gradient reaches the features through
// a gradient-reversal layer with DANN's lambda schedule.
// Eq. 9 for the entropy-conditioned objective is how a Dec 2018 thread on the
// authors' tracker (thuml/CDAN issue 2) cites the paper; eq. 4 and 6 were not
// checked against its text.

#include "methods/domain_adaptation/dann.h"

namespace graft {

struct CdanOptions : AdversarialOptions {
  bool entropy = false;
  std::int64_t random_dim = 1024;
  static void declare(OptionSet<CdanOptions>& o) {
    declare_adversarial_options(o);
    o.add("entropy", &CdanOptions::entropy, "CDAN+E: weight examples by 1 + exp(-entropy of the prediction)");
    o.add("random_dim", &CdanOptions::random_dim,
          "use the randomized multilinear map of this size when classes x features exceeds it")
        .min(1);
  }
};

/// h = g (x) f per row, flattened: [B, C * d].
torch::Tensor multilinear_map(const torch::Tensor& features, const torch::Tensor& predictions);

/// CDAN+E weights: 1 + exp(-H(p)) per row, normalised to mean 1.
torch::Tensor entropy_weights(const torch::Tensor& predictions);

class Cdan : public DomainAdaptation {
 public:
  using Options = CdanOptions;
  explicit Cdan(Options options) : DomainAdaptation(options, "cdan"), options_(std::move(options)) {}
  StepReport train_step(StepContext& ctx) override;

 protected:
  void setup_extra(const SetupContext& ctx, std::int64_t feature_dim, std::int64_t classes) override;
  std::vector<ParameterGroup> extra_groups() override { return {{"domain_head", domain_head_->parameters(), 1.0}}; }

 private:
  torch::Tensor conditioning(const torch::Tensor& features, const torch::Tensor& predictions) const;
  Options options_;
  torch::nn::Sequential domain_head_{nullptr};
  torch::Tensor random_features_, random_predictions_;  ///< fixed projections of the randomized map
};

}  // namespace graft
