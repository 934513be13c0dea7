#pragma once
// What the field computes on a trained network's features to show what
// adaptation did: how far apart two domains are (the proxy A-distance) and a
// picture of the feature space (t-SNE). Used by `graft analyze`
// (core/analysis.h); the math alone here, on tensors.

#include <cstdint>

#include <torch/torch.h>

namespace graft {

/// The proxy A-distance of Ben-David et al. (NIPS 2006, sec. 4; Ganin et al.,
/// JMLR 2016, sec. 6.1.4): d_A = 2 (1 - 2 eps), eps the test error of a
/// linear classifier telling the two samples apart. 0: indistinguishable,
/// 2: perfectly separable.
struct ProxyADistance {
  double distance = 0;              ///< 2 (1 - 2 eps), floored at 0 (eps above 1/2 is chance)
  double error = 0;                 ///< eps, on the held-out quarter
  double weight_decay = 0;          ///< the L2 strength picked on the validation quarter
  std::int64_t per_sample = 0;      ///< examples used from each sample (the smaller's size)
};

/// Domain classifier: L2-regularised logistic regression on standardised
/// features (Ganin et al. used a linear SVM, TLlib a linear layer; the same
/// class of classifiers). Equal numbers from each sample, split at random
/// (from `seed`) into halves for training, a quarter to pick the L2 strength
/// from {1e-4 ... 1}, a quarter to measure eps. Rows of `a` and `b` are examples.
ProxyADistance proxy_a_distance(const torch::Tensor& a, const torch::Tensor& b, std::uint64_t seed = 0);

struct TsneOptions {
  double perplexity = 30;          ///< van der Maaten & Hinton's 5-50; sklearn's default
  std::int64_t iterations = 1000;  ///< sklearn's default
  std::int64_t pca_dims = 50;      ///< inputs are first reduced to this many principal components
};

/// Conditional affinities p_{j|i} (van der Maaten & Hinton, JMLR 2008, eq. 1)
/// from squared distances [N, N], each row's Gaussian width found by
/// bisection so that its perplexity 2^H(P_i) is `perplexity`.
torch::Tensor conditional_affinities(const torch::Tensor& squared_distances, double perplexity);

/// Exact t-SNE (van der Maaten & Hinton 2008): a 2-D embedding [N, 2] of the
/// rows of `x`, deterministic (PCA start, as sklearn's init='pca'), with
/// early exaggeration 12 for 250 iterations, momentum 0.5 then 0.8, gains,
/// and sklearn's 'auto' learning rate max(N / 48, 50). O(N^2): meant for a few
/// thousand points.
torch::Tensor tsne(const torch::Tensor& x, const TsneOptions& options = {});

}  // namespace graft
