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

namespace {

/// The argmax predictions and the labels of one split, on the CPU.
std::pair<torch::Tensor, torch::Tensor> predictions_and_labels(
    const DataSet& data, const std::string& split, const std::function<torch::Tensor(const torch::Tensor&)>& logits_fn,
    const torch::Device& device, std::int64_t batch_size, const LoaderOptions& loader) {
  torch::NoGradGuard no_grad;
  if (!data.split(split).targets.count("label"))
    throw Error(fmt::format("data set '{}' has no labels to score", data.name));
  std::vector<torch::Tensor> predicted, labels;
  for_each_batch(data, split, batch_size, device, loader, [&](const Batch& batch) {
    predicted.push_back(logits_fn(batch.inputs).argmax(1).cpu());
    labels.push_back(batch.target().cpu());
  });
  if (predicted.empty()) return {torch::zeros({0}, torch::kInt64), torch::zeros({0}, torch::kInt64)};
  return {torch::cat(predicted), torch::cat(labels)};
}

double accuracy_of(const torch::Tensor& predicted, const torch::Tensor& labels) {
  return labels.numel() ? predicted.eq(labels).to(torch::kFloat64).mean().item<double>() : 0.0;
}

}  // namespace

OpenSetScores open_set_scores(const torch::Tensor& predicted, const torch::Tensor& labels, std::int64_t unknown_class) {
  // Any prediction past the known classes means "none of them", so a
  // closed-set head over the known classes never predicts unknown.
  const auto called_unknown = predicted.ge(unknown_class);
  const auto is_unknown = labels.eq(unknown_class);
  OpenSetScores scores;
  double sum = 0;
  std::int64_t classes_seen = 0;
  for (std::int64_t c = 0; c < unknown_class; ++c) {
    const auto members = labels.eq(c);
    const auto n = members.sum().item<std::int64_t>();
    if (n == 0) continue;  // a known class absent from this split does not count
    sum += static_cast<double>(predicted.eq(c).logical_and(members).sum().item<std::int64_t>()) / static_cast<double>(n);
    ++classes_seen;
  }
  scores.os_star = classes_seen ? sum / static_cast<double>(classes_seen) : 0.0;
  const auto unknowns = is_unknown.sum().item<std::int64_t>();
  scores.unk = unknowns ? static_cast<double>(called_unknown.logical_and(is_unknown).sum().item<std::int64_t>()) /
                              static_cast<double>(unknowns)
                        : 0.0;
  scores.hos = scores.os_star + scores.unk > 0 ? 2 * scores.os_star * scores.unk / (scores.os_star + scores.unk) : 0.0;
  return scores;
}

double classification_accuracy(const DataSet& data, const std::string& split,
                               const std::function<torch::Tensor(const torch::Tensor&)>& logits_fn,
                               const torch::Device& device, std::int64_t batch_size, const LoaderOptions& loader) {
  const auto [predicted, labels] = predictions_and_labels(data, split, logits_fn, device, batch_size, loader);
  return accuracy_of(predicted, labels);
}

Metrics evaluate_classifier(const EvalContext& ctx,
                            const std::function<torch::Tensor(const torch::Tensor&)>& logits_fn) {
  Metrics metrics;
  for (const auto& [domain, data] : ctx.domains)
    for (const char* split : {"val", "test"}) {
      if (!data->has_split(split)) continue;
      const auto [predicted, labels] =
          predictions_and_labels(*data, split, logits_fn, ctx.device, ctx.batch_size, ctx.loader);
      const std::string prefix = fmt::format("{}.{}", domain, split);
      metrics[prefix + "_acc"] = accuracy_of(predicted, labels);
      if (data->unknown_class >= 0) {
        const OpenSetScores scores = open_set_scores(predicted, labels, data->unknown_class);
        metrics[prefix + "_os_star"] = scores.os_star;
        metrics[prefix + "_unk"] = scores.unk;
        metrics[prefix + "_hos"] = scores.hos;
      }
    }
  return metrics;
}

}  // namespace graft
