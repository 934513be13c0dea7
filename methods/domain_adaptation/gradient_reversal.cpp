#include "methods/domain_adaptation/gradient_reversal.h"

#include <cmath>

namespace graft {
namespace {

struct GradientReversalFunction : torch::autograd::Function<GradientReversalFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, double lambda) {
    ctx->saved_data["lambda"] = lambda;
    return x.view_as(x);  // identity; a view so autograd records this node
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const double lambda = ctx->saved_data["lambda"].toDouble();
    return {grad_outputs[0].neg() * lambda, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor gradient_reversal(const torch::Tensor& x, double lambda) {
  return GradientReversalFunction::apply(x, lambda);
}

double dann_lambda(double progress, double gamma, double lambda_max) {
  return lambda_max * (2.0 / (1.0 + std::exp(-gamma * progress)) - 1.0);
}

double scheduled_weight(const std::string& schedule, double progress, double gamma, double weight_max) {
  return schedule == "constant" ? weight_max : dann_lambda(progress, gamma, weight_max);
}

}  // namespace graft
