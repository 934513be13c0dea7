#include "mcc.h"

#include <graft/core/plugins.h>
#include <graft/core/registries.h>

GRAFT_PLUGIN("mcc");

namespace graft_mcc {

void McCOptions::declare(graft::OptionSet<McCOptions>& o) {
  graft::declare_two_domain_options(o);
  o.add("temperature", &McCOptions::temperature, "softmax temperature T").above(0.0);
  o.add("trade_off", &McCOptions::trade_off, "weight of the class-confusion loss").min(0.0);
}

torch::Tensor class_confusion_loss(const torch::Tensor& logits, double temperature) {
  const auto batch = static_cast<double>(logits.size(0));
  const auto classes = static_cast<double>(logits.size(1));
  const auto y = torch::softmax(logits / temperature, 1);
  const auto entropy = -(y * torch::log(y + 1e-5)).sum(1);
  auto weight = 1 + torch::exp(-entropy);
  weight = (batch * weight / weight.sum()).detach().unsqueeze(1);
  auto confusion = torch::matmul((y * weight).t(), y);
  confusion = confusion / confusion.sum(1, true);
  return (confusion.sum() - confusion.trace()) / classes;
}

graft::StepReport MinimumClassConfusion::train_step(graft::StepContext& ctx) {
  const Forward f = forward_both(ctx);
  const auto task = task_loss(f, ctx);
  const auto mcc = class_confusion_loss(f.target_logits(), options_.temperature);
  (task + options_.trade_off * mcc).backward();
  return {{{"loss.task", task.item<double>()}, {"loss.mcc", mcc.item<double>()}}};
}

// Registered as mcc_plugin: graft itself has an `mcc` (methods/domain_adaptation/mcc.h), and a
// plugin may not take a name that is already registered.
GRAFT_REGISTER_METHOD(MinimumClassConfusion, "mcc_plugin",
                      "minimum class confusion on target predictions (Jin et al., ECCV 2020) - an out-of-tree plugin");

}  // namespace graft_mcc
