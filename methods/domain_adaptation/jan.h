#pragma once
// JAN: joint adaptation networks (Long, Zhu, Wang and Jordan, "Deep Transfer
// Learning with Joint Adaptation Networks", ICML 2017). DAN matches the
// feature distributions of the two domains; JAN matches the joint
// distribution of features z1 and softmax predictions z2 with the joint MMD,
// the MMD under the product kernel k1(z1, z1') k2(z2, z2') (the kernel of the
// tensor-product embedding):
//   JMMD^2 = E_ss' k1 k2 + E_tt' k1 k2 - 2 E_st k1 k2
// estimated here, as graft's DAN does, by the biased quadratic estimate (the
// V-statistic: all n^2, m^2 and n m pairs, diagonals included). TLlib's
// example (examples/.../image_classification/jan.py, `--linear` off) uses
// the quadratic estimate without the within-domain diagonals plus the
// constant 2/(n-1); the two differ by a constant and a factor (n-1)/n on the
// within-domain terms. The linear-time estimate is not implemented.
// Kernels, as TLlib's example builds them (GaussianKernel of
// tllib/modules/kernels.py, read as dalib/modules/kernels.py):
//   k1 = sum_{u=0}^{kernels-1} exp(-||a-b||^2 / (beta multiplier^(u - kernels/2)))
//        beta = the mean squared distance over all (n+m)^2 pairs of the joint
//        batch, diagonal included, without gradient (TLlib's GaussianKernel
//        with alpha = 2^k, k = -3..1: 2 alpha beta = beta 2^(k+1)). graft's DAN
//        averages over the off-diagonal pairs only.
//   k2 = exp(-||p-q||^2 / (2 sigma^2)), sigma = 0.92 fixed (track_running_stats false)
// The softmax predictions carry gradient, as in TLlib. Added to the task loss
// with `weight`, ramped up by DANN's progressive schedule as in graft's DAN
// (TLlib keeps its trade-off constant: `weight_schedule: constant`).

#include "methods/domain_adaptation/adaptation.h"

namespace graft {

/// The kernels of the joint MMD; the defaults are TLlib's.
struct JmmdKernels {
  std::int64_t kernels = 5;        ///< Gaussian kernels on the features
  double multiplier = 2.0;         ///< ratio between neighbouring feature bandwidths
  double prediction_sigma = 0.92;  ///< sigma of the one Gaussian kernel on the predictions
  /// beta of the feature kernels: 0 takes the batch's mean squared distance
  /// (no gradient through it); a positive value fixes it.
  double feature_bandwidth = 0.0;
};

/// JMMD^2 (biased quadratic estimate) between (source features [n, d],
/// source predictions [n, C]) and (target features [m, d], target predictions [m, C]).
///   auto loss = jmmd(f_s, softmax(y_s), f_t, softmax(y_t));
torch::Tensor jmmd(const torch::Tensor& source_features, const torch::Tensor& source_predictions,
                   const torch::Tensor& target_features, const torch::Tensor& target_predictions,
                   const JmmdKernels& kernels = {});

struct JanOptions : TwoDomainOptions {
  double weight = 1.0;
  std::int64_t kernels = 5;
  double multiplier = 2.0;
  double prediction_sigma = 0.92;
  std::string weight_schedule = "progressive";
  double gamma = 10.0;
  static void declare(OptionSet<JanOptions>& o) {
    declare_two_domain_options(o);
    o.add("weight", &JanOptions::weight, "weight of the JMMD loss (TLlib's trade_off: 1)").min(0.0);
    o.add("kernels", &JanOptions::kernels, "number of Gaussian kernels on the features (TLlib: 5)").min(1);
    o.add("multiplier", &JanOptions::multiplier, "ratio between neighbouring feature bandwidths (TLlib: 2)")
        .above(1.0);
    o.add("prediction_sigma", &JanOptions::prediction_sigma,
          "sigma of the fixed Gaussian kernel on the softmax predictions (TLlib: 0.92)")
        .above(0.0);
    o.add("weight_schedule", &JanOptions::weight_schedule,
          "progressive: weight (2/(1+exp(-gamma p)) - 1) over the real steps, as DANN's lambda; constant: weight "
          "(TLlib)")
        .choices({"progressive", "constant"});
    o.add("gamma", &JanOptions::gamma, "gamma of the progressive schedule").min(0.0);
  }
};

class Jan : public DomainAdaptation {
 public:
  using Options = JanOptions;
  explicit Jan(Options options) : DomainAdaptation(options, "jan"), options_(std::move(options)) {}
  StepReport train_step(StepContext& ctx) override;
  /// The JMMD weight at progress p.
  double weight_at(double progress) const;

 private:
  Options options_;
};

}  // namespace graft
