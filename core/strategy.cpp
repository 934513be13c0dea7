#include "core/strategy.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/schedule.h"

namespace graft {

const DataSet& SetupContext::domain(const std::string& name) const {
  auto it = domains.find(name);
  if (it == domains.end())
    throw Error(fmt::format("the method needs a data domain '{}' under `data:`; {}", name,
                            choices_hint(name, keys_of(domains))));
  return *it->second;
}

double StepContext::progress() const { return training_progress(step, total_steps); }

const Batch& StepContext::batch(const std::string& name) const {
  auto it = batches.find(name);
  if (it == batches.end())
    throw Error(fmt::format("no stream '{}' this step; {}", name, choices_hint(name, keys_of(batches))));
  return it->second;
}

double classification_accuracy(const DataSet& data, const Split& split,
                               const std::function<torch::Tensor(const torch::Tensor&)>& logits_fn,
                               const torch::Device& device, std::int64_t batch_size) {
  torch::NoGradGuard no_grad;
  const auto labels_it = split.targets.find("label");
  if (labels_it == split.targets.end()) throw Error(fmt::format("data set '{}' has no labels to score", data.name));
  std::int64_t correct = 0;
  for (std::int64_t start = 0; start < split.size(); start += batch_size) {
    const std::int64_t end = std::min(start + batch_size, split.size());
    const auto logits = logits_fn(prepare_inputs(data, split.inputs.slice(0, start, end), device));
    correct += logits.argmax(1).cpu().eq(labels_it->second.slice(0, start, end)).sum().item<std::int64_t>();
  }
  return split.size() ? static_cast<double>(correct) / static_cast<double>(split.size()) : 0.0;
}

Metrics evaluate_classifier(const EvalContext& ctx,
                            const std::function<torch::Tensor(const torch::Tensor&)>& logits_fn) {
  Metrics metrics;
  for (const auto& [domain, data] : ctx.domains)
    for (const char* split : {"val", "test"})
      if (data->has_split(split))
        metrics[fmt::format("{}.{}_acc", domain, split)] =
            classification_accuracy(*data, data->split(split), logits_fn, ctx.device, ctx.batch_size);
  return metrics;
}

}  // namespace graft
