#pragma once
// BSP: batch spectral penalization (Chen et al., ICML 2019, "Transferability
// vs. Discriminability: Batch Spectral Penalization for Adversarial Domain
// Adaptation"), on top of DANN. The paper's SVD analysis finds that
// adversarial alignment concentrates the features on the few eigenvectors
// with the largest singular values (the most transferable, but too few to
// discriminate the classes), so BSP penalises the k largest singular values
// of the source and of the target feature batch (sec. 4; the paper's
// equation number for L_bsp not checked here):
//   L_bsp(F) = sum_{i=1..k} (sigma_{s,i}^2 + sigma_{t,i}^2)
// added with weight beta to DANN's objective (Ganin et al. 2016, eq. 9, as in
// dann.h): L_y + L_d through the gradient-reversal layer + beta L_bsp. The
// authors' BSP+DANN.py and TLlib (tllib/alignment/bsp.py) use k = 1 and
// penalise the features the heads see (TLlib: its 256-wide bottleneck);
// beta = 1e-4 in the authors' code and TLlib's digits scripts, TLlib's
// default for Office-31/Office-Home is 2e-4.
//
// Built on Dann (its extra_term hook): with bsp_weight 0 it is DANN, step for step.
// Not reproduced: TLlib's three epochs of source-only pre-training before BSP.

#include "methods/domain_adaptation/dann.h"

namespace graft {

/// The k largest singular values of a [n, d] feature batch, descending.
/// Differentiable: d sigma_i / dF = u_i v_i^T where sigma_i is simple, and
/// since only the values are used no 1 / (sigma_i^2 - sigma_j^2) factor of
/// the full SVD gradient arises, so it stays finite when values repeat.
torch::Tensor largest_singular_values(const torch::Tensor& features, std::int64_t k);

/// BSP's penalty on one batch: sum_{i=1..k} sigma_i^2, the k largest.
torch::Tensor bsp_penalty(const torch::Tensor& features, std::int64_t k);

struct BspOptions : AdversarialOptions {
  double bsp_weight = 1e-4;  ///< beta
  std::int64_t k = 1;        ///< how many of the largest singular values are penalised
  static void declare(OptionSet<BspOptions>& o) {
    declare_adversarial_options(o);
    o.add("bsp_weight", &BspOptions::bsp_weight,
          "beta: weight of the spectral penalty (authors' code, TLlib digits: 1e-4; TLlib Office: 2e-4)")
        .min(0.0);
    o.add("k", &BspOptions::k,
          "the k largest singular values of each domain's feature batch are penalised (authors' code and TLlib: 1)")
        .min(1);
  }
};

class Bsp : public Dann {
 public:
  using Options = BspOptions;
  explicit Bsp(Options options) : Dann(options, "bsp"), options_(std::move(options)) {}

 protected:
  void setup_extra(const SetupContext& ctx, std::int64_t feature_dim, std::int64_t classes) override;
  torch::Tensor extra_term(const Forward& forward, Metrics& scalars) override;

 private:
  Options options_;
};

}  // namespace graft
