#pragma once
// What the unsupervised domain-adaptation methods share: a backbone and a
// label head trained on a labelled source stream and an unlabelled target
// stream, one forward pass over both batches, and classifier evaluation on
// every domain. DANN, CDAN, Deep CORAL and DAN add their alignment term.

#include <string>
#include <vector>

#include "core/options.h"
#include "core/strategy.h"

namespace graft {

struct TwoDomainOptions {
  std::string source = "source";          ///< labelled `data:` domain
  std::string target = "target";          ///< unlabelled `data:` domain
  std::vector<std::int64_t> head_hidden;  ///< hidden widths of the label head (empty: linear)
  std::int64_t bottleneck = 0;            ///< TLlib's bottleneck width (0: none)
  double backbone_lr = 1.0;               ///< the backbone's learning rate, as a factor of the others'
  double unknown_below = 0.0;             ///< open-set evaluation: "unknown" below this confidence (0: never)
};

/// The `unknown_below` option of every classifier of this paradigm (source
/// only included): evaluation only, so a closed-set model gets open-set
/// scores by the usual confidence threshold.
template <class T>
void declare_unknown_below(OptionSet<T>& o, double T::*member) {
  o.add("unknown_below", member,
        "evaluation only: call a prediction unknown (the class after the source's) when its largest softmax "
        "probability is below this; the closed-set baseline of open-set tables (0: never)")
      .min(0.0)
      .max(1.0)
      .saved_unless_default();
}

template <class T>
void declare_two_domain_options(OptionSet<T>& o) {
  o.add("source", static_cast<std::string T::*>(&TwoDomainOptions::source), "labelled `data:` domain");
  o.add("target", static_cast<std::string T::*>(&TwoDomainOptions::target),
        "unlabelled `data:` domain (its labels are never read)");
  o.add("head_hidden", static_cast<std::vector<std::int64_t> T::*>(&TwoDomainOptions::head_hidden),
        "hidden widths of the label head (empty: linear)")
      .min(1);
  o.add("bottleneck", static_cast<std::int64_t T::*>(&TwoDomainOptions::bottleneck),
        "TLlib's bottleneck: Linear to this width, BatchNorm, ReLU between backbone and heads (0: none; TLlib: 256)")
      .min(0);
  o.add("backbone_lr", static_cast<double T::*>(&TwoDomainOptions::backbone_lr),
        "the backbone's learning rate as a factor of the heads' (TLlib: 0.1 for a pretrained backbone)")
      .above(0.0);
  declare_unknown_below(o, static_cast<double T::*>(&TwoDomainOptions::unknown_below));
}

torch::Tensor with_unknown_column(const torch::Tensor& logits, double threshold);

class DomainAdaptation : public Strategy {
 public:
  explicit DomainAdaptation(TwoDomainOptions common, std::string method_name)
      : common_(std::move(common)), method_name_(std::move(method_name)) {}

  std::vector<StreamRequest> streams() const override;
  void setup(const SetupContext& ctx) override;
  std::vector<ParameterGroup> parameter_groups() override;
  Metrics evaluate(const EvalContext& ctx) override;
  torch::Tensor features(const torch::Tensor& inputs) override { return features_of(inputs); }

 protected:
  /// The backbone's features, through the bottleneck where there is one.
  torch::Tensor features_of(const torch::Tensor& inputs);
  /// Features and logits of one pass over cat(source, target): batch-norm
  /// statistics (where a backbone has them) are shared between the domains.
  struct Forward {
    torch::Tensor features, logits;  ///< [source rows; target rows]
    std::int64_t source_rows = 0;
    torch::Tensor source_features() const { return features.slice(0, 0, source_rows); }
    torch::Tensor target_features() const { return features.slice(0, source_rows); }
    torch::Tensor source_logits() const { return logits.slice(0, 0, source_rows); }
    torch::Tensor target_logits() const { return logits.slice(0, source_rows); }
  };
  Forward forward_both(const StepContext& ctx);
  /// Cross-entropy of the source logits against the source labels.
  torch::Tensor task_loss(const Forward& forward, const StepContext& ctx) const;

  /// Outputs of the label head for a source of `classes` classes (OSBP adds an "unknown" one).
  virtual std::int64_t label_head_outputs(std::int64_t classes) const { return classes; }
  /// Hooks for the method's own modules (domain classifier, ...).
  virtual void setup_extra(const SetupContext& /*ctx*/, std::int64_t /*feature_dim*/, std::int64_t /*classes*/) {}
  virtual std::vector<ParameterGroup> extra_groups() { return {}; }

  TwoDomainOptions common_;
  std::string method_name_;
  std::shared_ptr<Backbone> backbone_;
  torch::nn::Sequential bottleneck_{nullptr};
  torch::nn::Sequential label_head_{nullptr};
};

}  // namespace graft
