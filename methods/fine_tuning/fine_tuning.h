#pragma once
// Adapting a pretrained backbone (the experiment's `model:`, usually
// `pretrained` or `torchscript`) to a labelled task with a new head: the one
// implementation behind the methods the literature compares, each a file
// pair here named as registered, with its own defaults:
//   finetune          full fine-tuning
//   linear_probe      frozen backbone, train the head only
//   lp_ft             linear probe for `probe_fraction` of the steps, then
//                     full fine-tuning (Kumar et al., ICLR 2022)
//   l2_sp             full fine-tuning with Omega = alpha/2 ||w_S - w_S^0||^2
//                     + beta/2 ||w_head||^2 (Li et al., ICML 2018, eq. 4)
//   bss               full fine-tuning with eta * sum of the k smallest
//                     squared singular values of the batch features (Chen et
//                     al., NeurIPS 2019)
//   gradual_unfreeze  the head first, then the backbone's layers one at a
//                     time from the top, evenly over `unfreeze_fraction` of
//                     the steps (Howard & Ruder, ULMFiT, ACL 2018: one layer
//                     per epoch)
// Every option is open to all of them (`finetune` with `regularizer: l2_sp`
// is L2-SP), so a sweep varies one key at a time: `backbone_lr_factor`
// (discriminative learning rates), `freeze` (backbone parameter-name
// prefixes kept frozen), and the rest below.

#include <string>
#include <vector>

#include "core/options.h"
#include "core/strategy.h"

namespace graft {

struct FineTuneOptions {
  std::string domain = "target";
  std::vector<std::int64_t> head_hidden;
  double backbone_lr_factor = 1.0;
  std::vector<std::string> freeze;
  bool freeze_backbone = false;
  double probe_fraction = 0.0;
  double unfreeze_fraction = 0.0;  ///< gradual unfreezing over this fraction of the steps (0: off)
  std::string regularizer = "none";
  double alpha = 0.01, beta = 0.01;  ///< L2-SP; TLlib's defaults
  double eta = 0.001;                ///< BSS
  std::int64_t k = 1;                ///< BSS
};

template <class T>
void declare_fine_tune_options(OptionSet<T>& o) {
  using F = FineTuneOptions;
  o.add("domain", static_cast<std::string T::*>(&F::domain), "the labelled `data:` entry to adapt to");
  o.add("head_hidden", static_cast<std::vector<std::int64_t> T::*>(&F::head_hidden), "hidden widths of the new head").min(1);
  o.add("backbone_lr_factor", static_cast<double T::*>(&F::backbone_lr_factor),
        "backbone learning rate = this x the head's (discriminative learning rates; common: 0.1)")
      .min(0.0);
  o.add("freeze", static_cast<std::vector<std::string> T::*>(&F::freeze),
        "backbone parameter-name prefixes kept frozen (partial freezing), e.g. [net.conv1]");
  o.add("freeze_backbone", static_cast<bool T::*>(&F::freeze_backbone), "freeze the whole backbone (linear probing)");
  o.add("probe_fraction", static_cast<double T::*>(&F::probe_fraction),
        "LP-FT: train only the head for this fraction of the steps, then everything")
      .min(0.0)
      .max(1.0);
  o.add("unfreeze_fraction", static_cast<double T::*>(&F::unfreeze_fraction),
        "gradual unfreezing: head only at first, then one backbone layer more (from the top) at even intervals "
        "until all train at this fraction of the steps; 0: off")
      .min(0.0)
      .max(1.0);
  o.add("regularizer", static_cast<std::string T::*>(&F::regularizer), "none, l2_sp or bss")
      .choices({"none", "l2_sp", "bss"});
  o.add("alpha", static_cast<double T::*>(&F::alpha), "L2-SP: weight of ||w_S - w_S^0||^2 / 2").min(0.0);
  o.add("beta", static_cast<double T::*>(&F::beta), "L2-SP: weight of ||w_head||^2 / 2").min(0.0);
  o.add("eta", static_cast<double T::*>(&F::eta), "BSS: weight of the penalty").min(0.0);
  o.add("k", static_cast<std::int64_t T::*>(&F::k), "BSS: how many of the smallest singular values").min(1);
}

/// alpha/2 sum ||w - w0||^2 over the backbone + beta/2 sum ||w||^2 over the head.
torch::Tensor l2_sp_penalty(const std::vector<torch::Tensor>& backbone, const std::vector<torch::Tensor>& start,
                            const std::vector<torch::Tensor>& head, double alpha, double beta);

/// eta * sum of the k smallest squared singular values of `features` [B, d].
torch::Tensor bss_penalty(const torch::Tensor& features, std::int64_t k, double eta);

class FineTune : public Strategy {
 public:
  FineTune(FineTuneOptions options, std::string name) : options_(std::move(options)), name_(std::move(name)) {}

  std::vector<StreamRequest> streams() const override { return {{"train", options_.domain, "train", true}}; }
  void setup(const SetupContext& ctx) override;
  std::vector<ParameterGroup> parameter_groups() override;
  StepReport train_step(StepContext& ctx) override;
  Metrics evaluate(const EvalContext& ctx) override;
  torch::Tensor features(const torch::Tensor& inputs) override { return backbone_->forward(inputs); }

  /// Backbone parameters that are never trained (freeze / freeze_backbone).
  bool is_frozen(const std::string& name) const;
  /// Backbone layers (parameter-name prefixes up to the last '.'), bottom first.
  const std::vector<std::string>& layers() const { return layers_; }
  /// How many backbone layers (from the top) train at `step` of `total`.
  std::int64_t layers_trainable(std::int64_t step, std::int64_t total) const;

 private:
  void set_backbone_trainable(std::int64_t top_layers);
  FineTuneOptions options_;
  std::string name_;
  std::shared_ptr<Backbone> backbone_;
  torch::nn::Sequential head_{nullptr};
  std::vector<torch::Tensor> start_weights_;  ///< w_S^0 for L2-SP (buffers: saved in checkpoints)
  std::vector<std::string> layers_;
  std::int64_t trainable_layers_ = -1;
};

/// One registered method: FineTune with `Defaults` applied to the options,
/// reporting itself as `registered` in errors.
#define GRAFT_FINE_TUNE_VARIANT(Class, registered, Defaults)                             \
  struct Class##Options : FineTuneOptions {                                              \
    Class##Options() { Defaults; }                                                       \
    static void declare(OptionSet<Class##Options>& o) { declare_fine_tune_options(o); } \
  };                                                                                     \
  struct Class : FineTune {                                                              \
    using Options = Class##Options;                                                      \
    explicit Class(Options o) : FineTune(std::move(o), registered) {}                    \
  }

}  // namespace graft
