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

double classification_accuracy(const DataSet& data, const std::string& split,
                               const std::function<torch::Tensor(const torch::Tensor&)>& logits_fn,
                               const torch::Device& device, std::int64_t batch_size, const LoaderOptions& loader) {
  torch::NoGradGuard no_grad;
  if (!data.split(split).targets.count("label"))
    throw Error(fmt::format("data set '{}' has no labels to score", data.name));
  std::int64_t correct = 0, seen = 0;
  for_each_batch(data, split, batch_size, device, loader, [&](const Batch& batch) {
    const auto logits = logits_fn(batch.inputs);
    correct += logits.argmax(1).cpu().eq(batch.target().cpu()).sum().item<std::int64_t>();
    seen += batch.size();
  });
  return seen ? static_cast<double>(correct) / static_cast<double>(seen) : 0.0;
}

Metrics evaluate_classifier(const EvalContext& ctx,
                            const std::function<torch::Tensor(const torch::Tensor&)>& logits_fn) {
  Metrics metrics;
  for (const auto& [domain, data] : ctx.domains)
    for (const char* split : {"val", "test"})
      if (data->has_split(split))
        metrics[fmt::format("{}.{}_acc", domain, split)] =
            classification_accuracy(*data, split, logits_fn, ctx.device, ctx.batch_size, ctx.loader);
  return metrics;
}

}  // namespace graft
