#pragma once
// Source only: supervised training on the labelled source domain, evaluated
// on every domain. The baseline every domain-adaptation method must beat.

#include <string>
#include <vector>

#include "core/options.h"
#include "core/strategy.h"
#include "methods/domain_adaptation/adaptation.h"

namespace graft {

struct SourceOnlyOptions {
  std::string domain = "source";          ///< the labelled domain trained on
  std::vector<std::int64_t> head_hidden;  ///< hidden widths of the label head (empty: linear)
  std::int64_t bottleneck = 0;            ///< TLlib's bottleneck width (0: none)
  double backbone_lr = 1.0;               ///< the backbone's learning rate, as a factor of the head's
  double unknown_below = 0.0;             ///< open-set evaluation: "unknown" below this confidence (0: never)

  static void declare(OptionSet<SourceOnlyOptions>& o) {
    o.add("domain", &SourceOnlyOptions::domain, "the `data:` domain whose labels are trained on");
    o.add("head_hidden", &SourceOnlyOptions::head_hidden, "hidden widths of the label head (empty: linear)").min(1);
    o.add("bottleneck", &SourceOnlyOptions::bottleneck,
          "TLlib's bottleneck: Linear to this width, BatchNorm, ReLU before the head (0: none; TLlib: 256)")
        .min(0);
    o.add("backbone_lr", &SourceOnlyOptions::backbone_lr,
          "the backbone's learning rate as a factor of the head's (TLlib: 0.1 for a pretrained backbone)")
        .above(0.0);
    declare_unknown_below(o, &SourceOnlyOptions::unknown_below);
  }
};

class SourceOnly : public Strategy {
 public:
  using Options = SourceOnlyOptions;
  explicit SourceOnly(Options options) : options_(std::move(options)) {}

  std::vector<StreamRequest> streams() const override;
  void setup(const SetupContext& ctx) override;
  std::vector<ParameterGroup> parameter_groups() override;
  StepReport train_step(StepContext& ctx) override;
  Metrics evaluate(const EvalContext& ctx) override;
  torch::Tensor features(const torch::Tensor& inputs) override;

 private:
  Options options_;
  std::shared_ptr<Backbone> backbone_;
  torch::nn::Sequential bottleneck_{nullptr};
  torch::nn::Sequential head_{nullptr};
};

}  // namespace graft
