#include "methods/multi_task/dwa.h"

#include <cmath>

#include "core/registries.h"

namespace graft {

std::vector<double> dwa_weights(const std::vector<std::vector<double>>& epoch_losses, double temperature) {
  if (epoch_losses.size() < 2) return std::vector<double>(epoch_losses.empty() ? 0 : epoch_losses[0].size(), 1.0);
  const auto& last = epoch_losses[epoch_losses.size() - 1];
  const auto& before = epoch_losses[epoch_losses.size() - 2];
  const std::size_t k = last.size();
  std::vector<double> weights(k);
  double sum = 0;
  for (std::size_t i = 0; i < k; ++i) sum += weights[i] = std::exp(last[i] / before[i] / temperature);
  for (auto& w : weights) w = static_cast<double>(k) * w / sum;
  return weights;
}

Metrics Dwa::combine(const std::vector<torch::Tensor>& losses, const torch::Tensor&, StepContext& ctx) {
  if (running_sum_.empty()) running_sum_.assign(losses.size(), 0.0);
  if (ctx.epoch > current_epoch_ && running_count_ > 0) {  // an epoch ended: record its mean losses
    std::vector<double> mean(losses.size());
    for (std::size_t i = 0; i < losses.size(); ++i) mean[i] = running_sum_[i] / static_cast<double>(running_count_);
    epoch_losses_.push_back(mean);
    running_sum_.assign(losses.size(), 0.0);
    running_count_ = 0;
  }
  current_epoch_ = ctx.epoch;
  for (std::size_t i = 0; i < losses.size(); ++i) running_sum_[i] += losses[i].item<double>();
  ++running_count_;

  std::vector<double> weights = dwa_weights(epoch_losses_, options_.temperature);
  if (weights.empty()) weights.assign(losses.size(), 1.0);
  backward_weighted(losses, weights);
  Metrics logged;
  for (std::size_t k = 0; k < tasks_.size(); ++k) logged["weight." + tasks_[k].name] = weights[k];
  return logged;
}

void Dwa::save_extra(torch::serialize::OutputArchive& archive) const {
  std::vector<double> flat;
  for (const auto& row : epoch_losses_) flat.insert(flat.end(), row.begin(), row.end());
  archive.write("dwa.history", torch::tensor(flat, torch::kFloat64));
  archive.write("dwa.running_sum", torch::tensor(running_sum_, torch::kFloat64));
  archive.write("dwa.counters", torch::tensor({running_count_, current_epoch_}, torch::kInt64));
}

void Dwa::load_extra(torch::serialize::InputArchive& archive) {
  torch::Tensor history, sums, counters;
  archive.read("dwa.history", history);
  archive.read("dwa.running_sum", sums);
  archive.read("dwa.counters", counters);
  const std::size_t k = tasks_.size();
  epoch_losses_.clear();
  for (std::int64_t i = 0; i + static_cast<std::int64_t>(k) <= history.numel(); i += static_cast<std::int64_t>(k))
    epoch_losses_.emplace_back(history.data_ptr<double>() + i, history.data_ptr<double>() + i + k);
  running_sum_.assign(sums.data_ptr<double>(), sums.data_ptr<double>() + sums.numel());
  running_count_ = counters[0].item<std::int64_t>();
  current_epoch_ = counters[1].item<std::int64_t>();
}

GRAFT_REGISTER_METHOD(Dwa, "dwa", "multi-task: dynamic weight average of epoch loss ratios (Liu et al. 2019)");

}  // namespace graft
