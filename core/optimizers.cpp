// Built-in optimizers: thin wrappers that build libtorch's optimizers from
// graft's typed options, one parameter group per strategy group.
#include <torch/torch.h>

#include "core/registries.h"
#include "core/strategy.h"

namespace graft {
namespace {

std::vector<torch::optim::OptimizerParamGroup> to_torch_groups(const ParameterGroups& groups) {
  std::vector<torch::optim::OptimizerParamGroup> out;
  for (const auto& group : groups.groups) out.emplace_back(group.parameters);
  return out;
}

struct SgdOptions {
  double lr = 0.01;
  double momentum = 0.9;
  double weight_decay = 0.0;
  bool nesterov = false;
  static void declare(OptionSet<SgdOptions>& o) {
    o.add("lr", &SgdOptions::lr, "base learning rate (the schedule multiplies it)").above(0.0);
    o.add("momentum", &SgdOptions::momentum, "momentum factor").min(0.0).max(1.0);
    o.add("weight_decay", &SgdOptions::weight_decay, "L2 penalty added to the gradient").min(0.0);
    o.add("nesterov", &SgdOptions::nesterov, "Nesterov momentum");
  }
};

struct Sgd : torch::optim::SGD {
  using Options = SgdOptions;
  Sgd(Options o, const ParameterGroups& groups)
      : torch::optim::SGD(to_torch_groups(groups), torch::optim::SGDOptions(o.lr)
                                                       .momentum(o.momentum)
                                                       .weight_decay(o.weight_decay)
                                                       .nesterov(o.nesterov)) {}
};

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  static void declare(OptionSet<AdamOptions>& o) {
    o.add("lr", &AdamOptions::lr, "base learning rate (the schedule multiplies it)").above(0.0);
    o.add("beta1", &AdamOptions::beta1, "decay of the first-moment estimate").min(0.0).max(1.0);
    o.add("beta2", &AdamOptions::beta2, "decay of the second-moment estimate").min(0.0).max(1.0);
    o.add("eps", &AdamOptions::eps, "added to the denominator").above(0.0);
    o.add("weight_decay", &AdamOptions::weight_decay, "L2 penalty (Adam) or decoupled decay (AdamW)").min(0.0);
  }
};

struct Adam : torch::optim::Adam {
  using Options = AdamOptions;
  Adam(Options o, const ParameterGroups& groups)
      : torch::optim::Adam(to_torch_groups(groups), torch::optim::AdamOptions(o.lr)
                                                        .betas({o.beta1, o.beta2})
                                                        .eps(o.eps)
                                                        .weight_decay(o.weight_decay)) {}
};

struct AdamW : torch::optim::AdamW {
  using Options = AdamOptions;
  AdamW(Options o, const ParameterGroups& groups)
      : torch::optim::AdamW(to_torch_groups(groups), torch::optim::AdamWOptions(o.lr)
                                                         .betas({o.beta1, o.beta2})
                                                         .eps(o.eps)
                                                         .weight_decay(o.weight_decay)) {}
};

}  // namespace

GRAFT_REGISTER_OPTIMIZER(Sgd, "sgd", "stochastic gradient descent with momentum");
GRAFT_REGISTER_OPTIMIZER(Adam, "adam", "Adam (Kingma & Ba 2015)");
GRAFT_REGISTER_OPTIMIZER(AdamW, "adamw", "Adam with decoupled weight decay (Loshchilov & Hutter 2019)");

}  // namespace graft
