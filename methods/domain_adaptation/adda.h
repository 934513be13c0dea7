#pragma once
// ADDA: adversarial discriminative domain adaptation (Tzeng, Hoffman, Saenko
// and Darrell, CVPR 2017). Unlike DANN, the target gets an encoder of its
// own, and the adversarial game uses the GAN loss with inverted labels
// instead of a reversed gradient. Two phases, split by step:
//   pre-training (the first `pretrain` share of the run's steps): the source
//   encoder Ms and the classifier C minimise the source cross-entropy
//     min_{Ms,C} L_cls = -E_(xs,ys) sum_k 1[k = ys] log C(Ms(xs))   (eq. 9, first line)
//   adaptation: Mt starts as a copy of Ms (the paper's initialisation); Ms
//   and C stay fixed (Ms also keeps its batch-norm statistics: eval mode);
//   each step first updates the discriminator D, then Mt:
//     min_D  L_advD = -E_xs log D(Ms(xs)) - E_xt log(1 - D(Mt(xt)))   (eq. 9, second line)
//     min_Mt L_advM = -E_xt log D(Mt(xt))                              (eq. 9, third line)
//   (the inverted-label loss of eq. 7, which gives Mt strong gradients while
//   D still wins), each an optimizer step of its own parameter groups
//   (StepContext::update).
// Evaluation: the source domain with Ms and C (the source model), every other
// domain with Mt and C once adaptation has begun (Ms and C before).
// The paper's discriminator for digits: 500-500 ReLU layers (`domain_hidden`).
// Equation numbers: eq. 9 is how a thread on the authors' tracker (erictzeng/
// adda issue 1) cites the three-line objective; eq. 7 (eq. 6 is the minimax
// loss L_advM = -L_advD) follows a secondary summary's numbering of the CVPR
// paper. The paper itself was not reachable: cite the formula, not the number.

#include "methods/domain_adaptation/adaptation.h"

namespace graft {

/// L_advD of eq. 9 from discriminator logits: source features labelled 1,
/// target features 0.
torch::Tensor adda_discriminator_loss(const torch::Tensor& source_logits, const torch::Tensor& target_logits);
/// L_advM of eq. 9: the target encoder's inverted-label loss, -log D(Mt(xt)).
torch::Tensor adda_encoder_loss(const torch::Tensor& target_logits);

struct AddaOptions : TwoDomainOptions {
  double pretrain = 0.5;
  std::vector<std::int64_t> domain_hidden{500, 500};
  static void declare(OptionSet<AddaOptions>& o) {
    declare_two_domain_options(o);
    o.add("pretrain", &AddaOptions::pretrain,
          "share of the run's steps that pre-train the source encoder and classifier before adaptation")
        .above(0.0)
        .max(0.95);
    o.add("domain_hidden", &AddaOptions::domain_hidden, "hidden widths of the discriminator (paper, digits: [500, 500])")
        .min(1);
  }
};

class Adda : public DomainAdaptation {
 public:
  using Options = AddaOptions;
  explicit Adda(Options options) : DomainAdaptation(options, "adda"), options_(std::move(options)) {}
  StepReport train_step(StepContext& ctx) override;
  Metrics evaluate(const EvalContext& ctx) override;
  /// The first step of the adaptation phase, for a run of `total_steps`.
  std::int64_t adaptation_start(std::int64_t total_steps) const;

 private:
  void setup_extra(const SetupContext& ctx, std::int64_t feature_dim, std::int64_t classes) override;
  std::vector<ParameterGroup> extra_groups() override;
  /// Mt's features: the target backbone, then its bottleneck where there is one.
  torch::Tensor target_features_of(const torch::Tensor& inputs);
  /// Mt := Ms, parameters and buffers.
  void copy_source_encoder();

  Options options_;
  std::shared_ptr<Backbone> target_backbone_;
  torch::nn::Sequential target_bottleneck_{nullptr};
  torch::nn::Sequential discriminator_{nullptr};
  std::int64_t total_steps_ = 0;
};

}  // namespace graft
