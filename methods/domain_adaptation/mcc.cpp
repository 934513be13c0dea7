#include "methods/domain_adaptation/mcc.h"

#include <limits>

#include <fmt/format.h>

#include "core/error.h"
#include "core/registries.h"
// entropy_weights: CDAN+E's example weights, 1 + exp(-H) normalised to mean 1
// (that is, to sum B), are exactly MCC's eq. 3-4.
#include "methods/domain_adaptation/cdan.h"

namespace graft {

torch::Tensor class_confusion(const torch::Tensor& probabilities, const torch::Tensor& weights) {
  GRAFT_CHECK(probabilities.dim() == 2 && weights.dim() == 1 && weights.size(0) == probabilities.size(0), "mcc",
              "class_confusion expects probabilities [batch, classes] and weights [batch], got [{}] and [{}]",
              fmt::join(probabilities.sizes(), ", "), fmt::join(weights.sizes(), ", "));
  return torch::matmul((probabilities * weights.unsqueeze(1)).t(), probabilities);
}

torch::Tensor confusion_loss(const torch::Tensor& confusion) {
  GRAFT_CHECK(confusion.dim() == 2 && confusion.size(0) == confusion.size(1), "mcc",
              "confusion_loss expects a square class confusion matrix [classes, classes], got [{}]",
              fmt::join(confusion.sizes(), ", "));
  // A class that no example of the batch gives any probability (a float32
  // softmax underflows at logit gaps beyond ~100 T) has a zero row: the floor
  // keeps that row zero instead of 0/0 = NaN. It binds nowhere else.
  const auto normalised = confusion / confusion.sum(1, true).clamp_min(std::numeric_limits<float>::min());
  return (normalised.sum() - normalised.trace()) / static_cast<double>(confusion.size(0));
}

torch::Tensor mcc_loss(const torch::Tensor& logits, double temperature) {
  GRAFT_CHECK(logits.dim() == 2 && logits.size(0) > 0, "mcc", "expected target logits [batch, classes], got [{}]",
              fmt::join(logits.sizes(), ", "));
  GRAFT_CHECK(temperature > 0.0, "mcc", "temperature must be positive, got {}", temperature);
  const auto probabilities = torch::softmax(logits / temperature, 1);
  // The weights only rank examples by confidence: no gradient through them (TLlib).
  const auto weights = entropy_weights(probabilities.detach());
  return confusion_loss(class_confusion(probabilities, weights));
}

StepReport Mcc::train_step(StepContext& ctx) {
  const Forward f = forward_both(ctx);
  const auto task = task_loss(f, ctx);
  // Only the target predictions: the source is already pinned by its labels.
  const auto confusion = mcc_loss(f.target_logits(), options_.temperature);
  (task + options_.weight * confusion).backward();
  return {{{"loss.task", task.item<double>()}, {"loss.mcc", confusion.item<double>()}}};
}

GRAFT_REGISTER_METHOD(Mcc, "mcc", "minimum class confusion on target predictions (Jin et al., ECCV 2020)");

}  // namespace graft
