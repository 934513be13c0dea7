#include "methods/multi_task/mgda.h"

#include <algorithm>
#include <cmath>

#include "core/registries.h"

namespace graft {

namespace {
/// gamma in [0, 1] minimising || gamma a + (1 - gamma) b ||^2 from the dot products.
double line_min(double aa, double ab, double bb) {
  if (ab >= aa) return 1.0;
  if (ab >= bb) return 0.0;
  return (bb - ab) / (aa + bb - 2 * ab);
}
}  // namespace

torch::Tensor min_norm_weights(const torch::Tensor& gradients, int iterations) {
  const auto k = static_cast<std::size_t>(gradients.size(0));
  const auto gram_tensor = torch::matmul(gradients, gradients.t()).to(torch::kFloat64).contiguous();
  const std::vector<double> gram(gram_tensor.data_ptr<double>(), gram_tensor.data_ptr<double>() + k * k);
  if (k == 1) return torch::ones({1}, torch::kFloat64);
  if (k == 2) {
    const double gamma = line_min(gram[0], gram[1], gram[3]);
    return torch::tensor({gamma, 1.0 - gamma}, torch::kFloat64);
  }
  // Frank-Wolfe on the Gram matrix in plain doubles (K is tiny).
  std::vector<double> alpha(k, 1.0 / static_cast<double>(k));
  for (int it = 0; it < iterations; ++it) {
    std::vector<double> g_alpha(k, 0.0);  // g_i . v with v = sum_j alpha_j g_j
    for (std::size_t i = 0; i < k; ++i)
      for (std::size_t j = 0; j < k; ++j) g_alpha[i] += gram[i * k + j] * alpha[j];
    const std::size_t t = static_cast<std::size_t>(std::min_element(g_alpha.begin(), g_alpha.end()) - g_alpha.begin());
    double vv = 0;
    for (std::size_t i = 0; i < k; ++i) vv += alpha[i] * g_alpha[i];
    const double gamma = line_min(vv, g_alpha[t], gram[t * k + t]);  // weight kept on the current point
    double change = 0;
    for (std::size_t i = 0; i < k; ++i) {
      const double next = alpha[i] * gamma + (i == t ? 1.0 - gamma : 0.0);
      change += std::fabs(next - alpha[i]);
      alpha[i] = next;
    }
    if (change < 1e-10) break;
  }
  return torch::tensor(alpha, torch::kFloat64);
}

Metrics Mgda::combine(const std::vector<torch::Tensor>& losses, const torch::Tensor& features, StepContext& ctx) {
  std::vector<torch::Tensor> grads;
  for (const auto& loss : losses) {
    auto g = torch::autograd::grad({loss}, {features}, {}, true)[0].flatten().detach();
    if (options_.normalization == "l2") g = g / g.norm().clamp_min(1e-12);
    if (options_.normalization == "loss") g = g / loss.detach().clamp_min(1e-12);
    grads.push_back(g);
  }
  ctx.reduce(grads);
  const auto alpha = min_norm_weights(torch::stack(grads));
  std::vector<double> weights(alpha.data_ptr<double>(), alpha.data_ptr<double>() + alpha.numel());
  // Sener & Koltun scale by K so the step size matches the sum of losses.
  for (auto& w : weights) w *= static_cast<double>(weights.size());
  backward_weighted(losses, weights);
  Metrics logged;
  for (std::size_t k = 0; k < tasks_.size(); ++k) logged["weight." + tasks_[k].name] = weights[k];
  return logged;
}

GRAFT_REGISTER_METHOD(Mgda, "mgda", "multi-task: min-norm task weights on the shared representation, MGDA-UB (Sener & Koltun 2018)");

}  // namespace graft
