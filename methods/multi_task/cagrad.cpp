#include "methods/multi_task/cagrad.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "core/registries.h"

namespace graft {

namespace {
/// Euclidean projection onto the probability simplex (Duchi et al. 2008).
std::vector<double> project_to_simplex(std::vector<double> v) {
  std::vector<double> sorted = v;
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  double cumulative = 0, theta = 0;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    cumulative += sorted[i];
    const double candidate = (cumulative - 1.0) / static_cast<double>(i + 1);
    if (sorted[i] - candidate > 0) theta = candidate;
  }
  for (auto& x : v) x = std::max(0.0, x - theta);
  return v;
}
}  // namespace

torch::Tensor cagrad_direction(const torch::Tensor& gradients, double c, int iterations) {
  const auto g = gradients.to(torch::kFloat64);
  const auto k = static_cast<std::size_t>(g.size(0));
  // Everything below works on the K x K Gram matrix in plain doubles: K is
  // tiny and per-op tensor overhead would dominate the step.
  const auto gram_tensor = torch::matmul(g, g.t()).contiguous();
  const std::vector<double> gram(gram_tensor.data_ptr<double>(), gram_tensor.data_ptr<double>() + k * k);
  std::vector<double> b(k, 0.0);  // g_i . g_0
  double g0_sq = 0, largest = 1e-12;
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < k; ++j) {
      b[i] += gram[i * k + j] / static_cast<double>(k);
      g0_sq += gram[i * k + j] / static_cast<double>(k * k);
      largest = std::max(largest, std::fabs(gram[i * k + j]));
    }
  const double g0_norm = std::sqrt(std::max(0.0, g0_sq));
  // Minimise F(w) = w.b + c ||g0|| sqrt(w^T gram w) over the simplex by
  // projected gradient descent; F is convex.
  std::vector<double> w(k, 1.0 / static_cast<double>(k));
  const double step = 1.0 / (largest * (1.0 + c));
  for (int it = 0; it < iterations; ++it) {
    std::vector<double> gram_w(k, 0.0);
    double quad = 0;
    for (std::size_t i = 0; i < k; ++i) {
      for (std::size_t j = 0; j < k; ++j) gram_w[i] += gram[i * k + j] * w[j];
      quad += w[i] * gram_w[i];
    }
    const double gw_norm = std::sqrt(std::max(quad, 1e-20));
    std::vector<double> next(k);
    for (std::size_t i = 0; i < k; ++i) next[i] = w[i] - step * (b[i] + c * g0_norm * gram_w[i] / gw_norm);
    w = project_to_simplex(next);
  }
  const auto gw = torch::matmul(torch::tensor(w, torch::kFloat64), g);
  const double gw_norm = std::max(1e-12, gw.norm().item<double>());
  const auto d = g.mean(0) + (c * g0_norm / gw_norm) * gw;
  return (d / (1.0 + c * c)).to(gradients.dtype());
}

Metrics CaGrad::combine(const std::vector<torch::Tensor>& losses, const torch::Tensor&, StepContext& ctx) {
  std::vector<torch::Tensor> grads;
  for (const auto& loss : losses) grads.push_back(shared_gradient(loss));
  ctx.reduce(grads);
  // The direction is for the mean gradient; times K keeps the scale of the
  // summed losses that the other methods use, so learning rates compare.
  set_shared_gradient(cagrad_direction(torch::stack(grads), options_.c) * static_cast<double>(losses.size()));
  backward_heads(losses, std::vector<double>(losses.size(), 1.0));
  return {};
}

GRAFT_REGISTER_METHOD(CaGrad, "cagrad", "multi-task: conflict-averse gradient descent (Liu et al. 2021)");

}  // namespace graft
