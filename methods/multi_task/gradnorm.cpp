#include "methods/multi_task/gradnorm.h"

#include "core/registries.h"

namespace graft {

void GradNorm::setup_extra(const SetupContext&) {
  const auto k = static_cast<std::int64_t>(tasks_.size());
  weights_ = register_parameter("task_weights", torch::ones({k}));
  initial_losses_ = register_buffer("initial_losses", torch::zeros({k}));
}

Metrics GradNorm::combine(const std::vector<torch::Tensor>& losses, const torch::Tensor&, StepContext&) {
  const auto k = static_cast<std::int64_t>(losses.size());
  const auto loss_values = torch::stack(losses).detach();
  if (initial_losses_.eq(0).all().item<bool>()) initial_losses_.copy_(loss_values);

  // The last shared layer: the encoder's last weight matrix.
  torch::Tensor last_shared;
  for (const auto& p : shared_parameters())
    if (p.dim() >= 2) last_shared = p;

  std::vector<torch::Tensor> norms;
  for (std::int64_t i = 0; i < k; ++i) {
    const auto g = torch::autograd::grad({losses[static_cast<std::size_t>(i)]}, {last_shared}, {}, true)[0];
    norms.push_back(g.norm().detach());
  }
  const auto weighted_norms = weights_ * torch::stack(norms);  // G_i, differentiable in w
  const auto ratios = loss_values / initial_losses_;
  const auto inverse_rate = ratios / ratios.mean();
  const auto target = (weighted_norms.mean() * inverse_rate.pow(options_.alpha)).detach();
  // Divided by mean(G) (held constant): the same minimiser, but the weights'
  // step no longer scales with the size of the gradients, which made plain
  // SGD on the weights overshoot and oscillate between the tasks.
  const auto grad_loss = (weighted_norms - target).abs().sum() / weighted_norms.mean().detach().clamp_min(1e-12);
  const auto weight_grad = torch::autograd::grad({grad_loss}, {weights_}, {}, true)[0];

  std::vector<double> w(weights_.data_ptr<float>(), weights_.data_ptr<float>() + k);
  backward_weighted(losses, w);
  weights_.mutable_grad() = weight_grad.detach();

  Metrics logged{{"loss.gradnorm", grad_loss.item<double>()}};
  for (std::int64_t i = 0; i < k; ++i) logged["weight." + tasks_[static_cast<std::size_t>(i)].name] = w[static_cast<std::size_t>(i)];
  return logged;
}

void GradNorm::after_update(StepContext&) {
  torch::NoGradGuard no_grad;
  weights_.clamp_(1e-3);
  weights_.mul_(static_cast<double>(weights_.numel()) / weights_.sum());
}

GRAFT_REGISTER_METHOD(GradNorm, "gradnorm", "multi-task: weights that balance gradient norms (Chen et al. 2018)");

}  // namespace graft
