#pragma once
// The gradient-reversal layer of Ganin et al. (JMLR 2016, sec. 5.2, eq. 12-13)
// and the lambda schedule that goes with it.

#include <string>

#include <torch/torch.h>

namespace graft {

/// R_lambda(x) = x in the forward pass; dR/dx = -lambda I in the backward pass.
/// A custom autograd function: the domain classifier above it minimises its
/// loss while the features below it are pushed to maximise it.
torch::Tensor gradient_reversal(const torch::Tensor& x, double lambda);

/// lambda_p = lambda_max * (2 / (1 + exp(-gamma p)) - 1), p in [0, 1] the
/// fraction of the run's real steps done (Ganin et al. 2016, sec. 5.2.2).
double dann_lambda(double progress, double gamma, double lambda_max = 1.0);

/// A loss weight under `schedule`: "progressive" ramps it as dann_lambda
/// (DANN's lambda, DAN's MMD weight), "constant" keeps `weight_max`.
double scheduled_weight(const std::string& schedule, double progress, double gamma, double weight_max);

}  // namespace graft
