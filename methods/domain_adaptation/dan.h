#pragma once
// DAN: deep adaptation network (Long et al., ICML 2015). The multi-kernel
// maximum mean discrepancy between source and target features,
//   MMD^2 = E k(s, s') + E k(t, t') - 2 E k(s, t),   k = sum_u exp(-||a-b||^2 / sigma_u)
// (eq. 2-3; the biased quadratic estimate), with `kernels` Gaussian bandwidths
// sigma_u = sigma * multiplier^(u - kernels/2) around sigma, the mean squared
// pairwise distance of the batch (no gradient through the bandwidth), as in
// the authors' and TLlib's implementations. Added to the task loss with
// `weight`, ramped up by DANN's progressive schedule (as JAN and CDAN do,
// Long et al. 2017/2018): at full weight from the first step the MMD term,
// which is smallest when all features coincide, collapsed the untrained
// features of a Fashion-MNIST run to one point before the classifier learned
// anything (task loss stuck at ln 10, then NaN at step 98).

#include "methods/domain_adaptation/adaptation.h"

namespace graft {

/// Squared Euclidean distances between the rows of [n, d]: [n, n] (also
/// JAN's; the diagonal has a finite gradient, unlike cdist's).
torch::Tensor squared_distances(const torch::Tensor& rows);

/// sum_u exp(-D / (bandwidth * multiplier^(u - kernels / 2))), u = 0..kernels-1:
/// the family of Gaussian kernels around `bandwidth` on squared distances D
/// (DAN's, and JAN's feature kernels).
torch::Tensor gaussian_kernel_family(const torch::Tensor& squared_distances, const torch::Tensor& bandwidth,
                                     std::int64_t kernels, double multiplier);

/// The biased quadratic MMD^2 estimate from a kernel matrix over the rows
/// [source (the first n); target]: E k(s, s') + E k(t, t') - 2 E k(s, t).
torch::Tensor mmd_from_kernel(const torch::Tensor& kernel, std::int64_t n);

/// Multi-kernel MMD^2 between [n, d] and [m, d] batches.
torch::Tensor mk_mmd(const torch::Tensor& source, const torch::Tensor& target, std::int64_t kernels = 5,
                     double multiplier = 2.0);

struct DanOptions : TwoDomainOptions {
  double weight = 1.0;
  std::int64_t kernels = 5;
  double multiplier = 2.0;
  std::string weight_schedule = "progressive";
  double gamma = 10.0;
  static void declare(OptionSet<DanOptions>& o) {
    declare_two_domain_options(o);
    o.add("weight", &DanOptions::weight, "weight of the MK-MMD loss").min(0.0);
    o.add("kernels", &DanOptions::kernels, "number of Gaussian kernels").min(1);
    o.add("multiplier", &DanOptions::multiplier, "ratio between neighbouring bandwidths").above(1.0);
    o.add("weight_schedule", &DanOptions::weight_schedule,
          "progressive: weight (2/(1+exp(-gamma p)) - 1) over the real steps, as DANN's lambda; constant: weight")
        .choices({"progressive", "constant"});
    o.add("gamma", &DanOptions::gamma, "gamma of the progressive schedule").min(0.0);
  }
};

class Dan : public DomainAdaptation {
 public:
  using Options = DanOptions;
  explicit Dan(Options options) : DomainAdaptation(options, "dan"), options_(std::move(options)) {}
  StepReport train_step(StepContext& ctx) override;
  /// The MMD weight at progress p.
  double weight_at(double progress) const;

 private:
  Options options_;
};

}  // namespace graft
