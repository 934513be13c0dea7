#pragma once
// AFN: stepwise adaptive feature norm (Xu et al., ICCV 2019, "Larger Norm
// More Transferable: An Adaptive Feature Norm Approach for Unsupervised
// Domain Adaptation"). Target examples whose features have small norms are
// the ones misclassified, so SAFN pushes every example's feature norm, source
// and target alike, a step of delta_r further each iteration (sec. 3.3,
// SAFN objective; eq. 9 of arXiv:1811.07456v2 by a secondary summary's
// numbering, not checked against the PDF):
//   C_2 = 1/n_s sum_s L_y + lambda/(n_s + n_t) sum_{s u t} L_d(h(x; theta_0) + delta_r, h(x; theta))
// with h(x) = ||F_f(G(x))||_2 the norm of the features the label head sees,
// theta_0 the parameters of the previous iteration and L_d the squared L2
// distance. theta_0 are the parameters the features of this very step were
// computed with, so h(x; theta_0) is the current norm with its gradient cut:
// the target radius is ||h||.detach() + delta_r, and the term's value is
// always delta_r^2 per domain; only its gradient, -2 delta_r / n h_i/||h_i||
// for row i of n, matters.
//
// Like the authors' code and TLlib (tllib/normalization/afn.py and
// examples/.../afn.py), the term is averaged within each domain's batch and
// the two means are added, each with weight lambda: lambda (mean_s + mean_t).
// For equal batches that is twice the paper's lambda/(n_s + n_t) sum; the
// default 0.05 is the authors' `weight_L2norm` and TLlib's `--trade-off-norm`
// in this per-domain form, so a run matches their code.
//
// The paper's classifier is FC-BN-ReLU-Dropout blocks with "L2-preserved"
// dropout (a_k x_k / sqrt(1 - p) instead of / (1 - p), so that E ||x||^2 is
// kept: eq. 4 by the same numbering). graft's `bottleneck` is the FC-BN-ReLU
// part; `dropout` adds the L2-preserved dropout on the features (TLlib:
// bottleneck 1000, dropout 0.5, weight decay 5e-4). Use them: the norm's
// gradient is small per step but always points outwards, and without a
// batch-normalised layer in front of the features every layer below scales
// the norm it feeds, so the growth compounds. On MNIST -> UCI digits with the
// DANN paper's network and no bottleneck the feature norm went from 9 to
// 6,500 in ten steps and the network died (ReLUs all zero, 11% on both
// domains; docs/RESULTS.md has the command); with TLlib's bottleneck (the afn
// row of experiments/domain_adaptation/mnist_to_uci_digits.yaml, seed 0) it
// grew from 22 to 31 over the 3,000 steps. TLlib's optional entropy term
// (`--trade-off-entropy`, SAFN+ENT) is not implemented.

#include "methods/domain_adaptation/adaptation.h"

namespace graft {

/// L_d of SAFN for one batch with the radius given: mean_i (radius_i - ||h_i||_2)^2
/// over the rows h_i of [n, d] `features`; `radius` is [n] and receives no gradient.
torch::Tensor feature_norm_distance(const torch::Tensor& features, const torch::Tensor& radius);

/// SAFN's term for one batch: feature_norm_distance with radius ||h_i||.detach() + delta_r.
/// Its value is delta_r^2; its gradient is -2 delta_r / n * h_i / ||h_i|| (0 for a zero row).
torch::Tensor stepwise_feature_norm(const torch::Tensor& features, double delta_r);

/// The paper's L2-preserved dropout: zeroes each entry with probability p and
/// scales the rest by 1 / sqrt(1 - p), so E ||x||^2 is unchanged. Identity
/// when not `training` or p == 0.
torch::Tensor l2_preserved_dropout(const torch::Tensor& x, double p, bool training);

struct AfnOptions : TwoDomainOptions {
  double weight = 0.05;  ///< lambda
  double delta_r = 1.0;  ///< the step by which each norm is pushed per iteration
  double dropout = 0.0;  ///< L2-preserved dropout on the features (TLlib: 0.5)
  static void declare(OptionSet<AfnOptions>& o) {
    declare_two_domain_options(o);
    o.add("weight", &AfnOptions::weight,
          "lambda: weight of each domain's feature-norm term (authors' code, TLlib: 0.05; TLlib DomainNet: 0.01)")
        .min(0.0);
    o.add("delta_r", &AfnOptions::delta_r,
          "how far past its norm each feature is pulled per step (authors' code, TLlib: 1; TLlib digits: 0.1-0.3)")
        .above(0.0);
    o.add("dropout", &AfnOptions::dropout,
          "L2-preserved dropout on the features before the head and the norm term (TLlib: 0.5 with bottleneck 1000)")
        .min(0.0)
        .max(0.95);
  }
};

class Afn : public DomainAdaptation {
 public:
  using Options = AfnOptions;
  explicit Afn(Options options) : DomainAdaptation(options, "afn"), options_(std::move(options)) {}
  StepReport train_step(StepContext& ctx) override;

 private:
  Options options_;
};

}  // namespace graft
