#include "core/feature_analysis.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/error.h"

namespace graft {

namespace {

/// Mean logistic loss + decay/2 |w|^2, minimised by L-BFGS from zero (a
/// convex problem: the start does not matter, and no randomness enters).
std::pair<torch::Tensor, torch::Tensor> fit_logistic(const torch::Tensor& x, const torch::Tensor& y, double decay) {
  auto w = torch::zeros({x.size(1)}, x.options()).requires_grad_(true);
  auto b = torch::zeros({}, x.options()).requires_grad_(true);
  torch::optim::LBFGS solver({w, b}, torch::optim::LBFGSOptions(1.0).max_iter(200).line_search_fn("strong_wolfe"));
  solver.step([&] {
    solver.zero_grad();
    const auto loss = torch::binary_cross_entropy_with_logits(torch::mv(x, w) + b, y) + 0.5 * decay * w.dot(w);
    loss.backward();
    return loss;
  });
  return {w.detach(), b.detach()};
}

double error_of(const std::pair<torch::Tensor, torch::Tensor>& model, const torch::Tensor& x, const torch::Tensor& y) {
  const auto predicted = (torch::mv(x, model.first) + model.second).gt(0).to(y.dtype());
  return predicted.ne(y).to(torch::kFloat64).mean().item<double>();
}

}  // namespace

ProxyADistance proxy_a_distance(const torch::Tensor& a, const torch::Tensor& b, std::uint64_t seed) {
  GRAFT_CHECK(a.dim() == 2 && b.dim() == 2 && a.size(1) == b.size(1), "proxy A-distance",
              "expected two samples of the same width, got [{}] and [{}]", fmt::join(a.sizes(), ", "),
              fmt::join(b.sizes(), ", "));
  const std::int64_t n = std::min(a.size(0), b.size(0));
  GRAFT_CHECK(n >= 8, "proxy A-distance", "needs at least 8 examples of each sample, got {} and {}", a.size(0),
              b.size(0));
  torch::NoGradGuard outside;  // re-enabled for the fits below
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto take = [&](const torch::Tensor& s) {
    return s.to(torch::kCPU, torch::kFloat64).index_select(0, torch::randperm(s.size(0), generator, torch::kInt64).slice(0, 0, n));
  };
  const auto x = torch::cat({take(a), take(b)});
  const auto y = torch::cat({torch::ones({n}, torch::kFloat64), torch::zeros({n}, torch::kFloat64)});
  const auto order = torch::randperm(2 * n, generator, torch::kInt64);
  const std::int64_t train_end = n, val_end = n + n / 2;  // halves, then quarters
  const auto rows = [&](std::int64_t from, std::int64_t to) { return order.slice(0, from, to); };
  const auto train = rows(0, train_end), val = rows(train_end, val_end), test = rows(val_end, 2 * n);
  const auto fit_rows = torch::cat({train, val});
  // Standardised on the rows fitted, so one L2 grid suits any feature scale.
  const auto standardise = [&](const torch::Tensor& fitted) {
    const auto part = x.index_select(0, fitted);
    return (x - part.mean(0)) / part.std(0).clamp_min(1e-8);
  };
  ProxyADistance out;
  out.per_sample = n;
  {
    torch::AutoGradMode enable(true);
    const auto xs = standardise(train);
    double best = std::numeric_limits<double>::infinity();
    for (const double decay : {1e-4, 1e-3, 1e-2, 1e-1, 1.0}) {
      const double e = error_of(fit_logistic(xs.index_select(0, train), y.index_select(0, train), decay),
                                xs.index_select(0, val), y.index_select(0, val));
      if (e < best) best = e, out.weight_decay = decay;
    }
    const auto xf = standardise(fit_rows);
    out.error = error_of(fit_logistic(xf.index_select(0, fit_rows), y.index_select(0, fit_rows), out.weight_decay),
                         xf.index_select(0, test), y.index_select(0, test));
  }
  out.distance = std::max(0.0, 2.0 * (1.0 - 2.0 * out.error));
  return out;
}

torch::Tensor conditional_affinities(const torch::Tensor& squared_distances, double perplexity) {
  const std::int64_t n = squared_distances.size(0);
  GRAFT_CHECK(perplexity > 0 && perplexity < static_cast<double>(n - 1), "t-SNE",
              "perplexity {} needs more than {} points (got {}); lower it", perplexity, perplexity + 1, n);
  const auto d = squared_distances.to(torch::kFloat64);
  const auto off_diagonal = 1.0 - torch::eye(n, d.options());
  const double target = std::log(perplexity);  // entropy in nats
  // Bisection on beta = 1 / (2 sigma^2), every row at once; the entropy
  // falls as beta grows. Distances are shifted by each row's nearest so
  // exp() cannot underflow to an all-zero row.
  const auto nearest = d.masked_fill(torch::eye(n, d.options().dtype(torch::kBool)), std::numeric_limits<double>::infinity())
                           .amin(1, /*keepdim=*/true);
  const auto shifted = (d - nearest).clamp_min(0);
  auto lo = torch::zeros({n, 1}, d.options());
  auto hi = torch::full({n, 1}, std::numeric_limits<double>::infinity(), d.options());
  auto beta = torch::ones({n, 1}, d.options()) / d.mean(1, true).clamp_min(1e-12);
  torch::Tensor p;
  for (int iteration = 0; iteration < 100; ++iteration) {
    p = torch::exp(-shifted * beta) * off_diagonal;
    const auto sum = p.sum(1, true);
    const auto entropy = torch::log(sum) + beta * (shifted * p).sum(1, true) / sum;
    const auto too_wide = entropy.gt(target);  // too many neighbours: narrow (raise beta)
    lo = torch::where(too_wide, beta, lo);
    hi = torch::where(too_wide, hi, beta);
    beta = torch::where(hi.isinf(), beta * 2, (lo + hi) / 2);
  }
  p = torch::exp(-shifted * beta) * off_diagonal;
  return p / p.sum(1, true);
}

torch::Tensor tsne(const torch::Tensor& x_in, const TsneOptions& options) {
  torch::NoGradGuard no_grad;
  auto x = x_in.to(torch::kCPU, torch::kFloat64).flatten(1);
  const std::int64_t n = x.size(0);
  x = x - x.mean(0, true);
  // Principal components: the reduction before the distances, and the start.
  const auto svd = torch::linalg_svd(x, /*full_matrices=*/false);
  const auto& components = std::get<2>(svd);
  if (x.size(1) > options.pca_dims) x = torch::matmul(x, components.slice(0, 0, options.pca_dims).t());
  const auto squared = torch::cdist(x, x).pow(2);
  auto p = conditional_affinities(squared, options.perplexity);
  p = ((p + p.t()) / (2.0 * static_cast<double>(n))).clamp_min(1e-12);

  auto y = torch::matmul(x, components.slice(0, 0, std::min<std::int64_t>(2, components.size(0))).t().slice(0, 0, x.size(1)));
  if (y.size(1) < 2) y = torch::cat({y, torch::zeros({n, 2 - y.size(1)}, y.options())}, 1);
  y = y / y.select(1, 0).std().clamp_min(1e-12) * 1e-4;
  // The descent in float32, in place: each iteration is a dozen passes over
  // N x N matrices, bound by memory, not by rounding.
  y = y.to(torch::kFloat32);
  const auto p32 = p.to(torch::kFloat32);
  auto update = torch::zeros_like(y);
  auto gains = torch::ones_like(y);
  const double exaggeration = 12.0;
  const double rate = std::max(static_cast<double>(n) / exaggeration / 4.0, 50.0);
  for (std::int64_t it = 0; it < options.iterations; ++it) {
    const bool early = it < 250;
    // Student-t kernel (eq. 4): 1 / (1 + |y_i - y_j|^2), 0 on the diagonal.
    const auto norms = y.pow(2).sum(1, true);
    auto num = torch::addmm(norms + norms.t(), y, y.t(), /*beta=*/1, /*alpha=*/-2);
    num.clamp_min_(0).add_(1).reciprocal_().fill_diagonal_(0);
    const double z = num.sum().item<double>();
    // (p_ij - q_ij) num_ij with q = num / z; the gradient is eq. 5.
    auto pq = num.mul(-1.0 / z).add_(p32, early ? exaggeration : 1.0).mul_(num);
    const auto grad = 4.0 * (pq.sum(1, true) * y - torch::mm(pq, y));
    gains = torch::where(grad.sign().ne(update.sign()), gains + 0.2, gains * 0.8).clamp_min(0.01);
    update = (early ? 0.5 : 0.8) * update - rate * gains * grad;
    y = y + update;
  }
  return y.to(torch::kFloat64);
}

}  // namespace graft
