#pragma once
// Dynamic weight average (Liu, Johns & Davison, CVPR 2019, eq. 1-2):
//   lambda_k(t) = K exp(w_k(t-1) / T) / sum_i exp(w_i(t-1) / T),
//   w_k(t-1) = L_k(t-1) / L_k(t-2),
// with L_k(t) the mean loss of task k over epoch t and T = 2; the first two
// epochs use lambda_k = 1. The epoch-loss history lives in checkpoints.

#include "methods/multi_task/multi_task.h"

namespace graft {

struct DwaOptions : MultiTaskOptions {
  double temperature = 2.0;
  static void declare(OptionSet<DwaOptions>& o) {
    declare_multi_task_options(o);
    o.add("temperature", &DwaOptions::temperature, "T of the softmax (paper: 2)").above(0.0);
  }
};

/// The DWA weights from per-epoch mean losses (rows: epochs, oldest first).
std::vector<double> dwa_weights(const std::vector<std::vector<double>>& epoch_losses, double temperature);

class Dwa : public MultiTask {
 public:
  using Options = DwaOptions;
  explicit Dwa(Options options) : MultiTask(options, "dwa"), options_(options) {}
  void save_extra(torch::serialize::OutputArchive& archive) const override;
  void load_extra(torch::serialize::InputArchive& archive) override;

 protected:
  Metrics combine(const std::vector<torch::Tensor>& losses, const torch::Tensor&, StepContext& ctx) override;

 private:
  Options options_;
  std::vector<std::vector<double>> epoch_losses_;  ///< finished epochs' mean losses
  std::vector<double> running_sum_;
  std::int64_t running_count_ = 0, current_epoch_ = 0;
};

}  // namespace graft
