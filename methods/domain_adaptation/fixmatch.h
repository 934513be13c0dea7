#pragma once
// FixMatch (Sohn et al., "FixMatch: Simplifying Semi-Supervised Learning with
// Consistency and Confidence", NeurIPS 2020), used for domain adaptation as
// TLlib does (tllib/self_training/pseudo_label.py and
// examples/domain_adaptation/image_classification/fixmatch.py): the labelled
// source batch plays the labelled batch X, the unlabelled target batch the
// unlabelled batch U. For a target example u_b with weak view alpha(u_b)
// (the data set's train transforms: the batch the framework gives) and strong
// view A(u_b) (made here, below):
//   q_b  = p_m(y | alpha(u_b)),  q^_b = argmax q_b  (a hard pseudo-label)
//   l_s  = (1/B) sum_b H(p_b, p_m(y | alpha(x_b)))                      (eq. 3)
//   l_u  = (1/(mu B)) sum_b 1(max q_b >= tau) H(q^_b, p_m(y | A(u_b)))   (eq. 4)
//   loss = l_s + lambda_u l_u                                   (sec. 3)
// Eq. 4 is the confidence-masked pseudo-labelling of eq. 2 with the
// prediction taken on the weak view and the loss on the strong one. The mean
// is over all mu B target examples, masked ones counting zero (paper and
// TLlib alike), so the term grows as the model grows confident.
//
// The pseudo-label is always taken without gradient: argmax and the >= tau
// mask are piecewise constant, so no gradient could flow through q^_b or the
// mask in any case; detaching says so and spares the backward pass through
// the weak view. A soft target with a gradient would let the model lower the
// loss by moving its weak prediction towards the strong one instead of the
// reverse, which is what consistency methods guard against (the paper's code,
// tf.stop_gradient; TLlib, torch.no_grad). So it is not an option.
//
// Where TLlib differs from the paper, graft follows the paper:
//  * the mask is max q_b >= tau (eq. 2, 4); TLlib keeps max q_b > tau. They
//    differ only at exact equality.
//  * one forward pass over [source; weak target; strong target], as the
//    paper's code does, so batch-norm statistics (where the backbone or the
//    bottleneck has them) are shared by all three; TLlib makes three passes,
//    each with its own batch statistics, the weak one under no_grad. That
//    choice matters with batch norm, so it is the option `separate_passes`.
// Defaults are TLlib's for domain adaptation: tau = 0.9 (the paper's SSL
// experiments use 0.95), lambda_u = 1 (its trade_off; the paper: 1).
//
// The strong augmentation. The paper's A is RandAugment (or CTAugment)
// followed by Cutout on images. graft makes the strong view inside the
// method, on tensors, drawing only from torch's default CPU generator (which
// the framework seeds and checkpoints, so a resumed run draws the same views;
// the draws are made on the CPU and moved to the input's device, so a GPU run
// sees the same views too):
//  * images [B, C, H, W], a RandAugment-like tensor pipeline, each example
//    with its own random magnitudes, in this order: contrast (blend with the
//    example's mean by a factor in [1 - c, 1 + c]); brightness (a shift of
//    delta times the example's standard deviation, delta in [-b, b]: the
//    inputs are usually normalised, so a shift in their own units);
//    translation by a whole number of pixels up to `translate` of the height
//    and of the width, the uncovered border filled with 0; Cutout (DeVries and
//    Taylor 2017, as FixMatch applies it after RandAugment): a square of side
//    `cutout` times the shorter side, its centre uniform over the image and
//    the part inside it set to 0. The fill 0 is the data set's mean colour
//    when its transforms normalise (RandAugment fills with grey), black when
//    they do not.
//  * flat features [B, D] (the moons, precomputed features): Gaussian noise
//    of standard deviation `noise_scale` (in the inputs' own units), then
//    feature dropout: each feature set to 0 with probability
//    `feature_dropout`, without the 1/(1 - p) rescaling of dropout layers (an
//    input corruption, as in denoising autoencoders). This is graft's
//    stand-in for RandAugment on vectors; it is not from the paper.
// A strength of 0 turns its operation off (and it draws nothing).
// The equation numbers above are as recalled from the paper; no copy of it was
// reachable to check them against, so cite the formula, not the number.

#include "methods/domain_adaptation/adaptation.h"

namespace graft {

/// Strengths of the strong view, fixmatch_strong_augment's argument.
struct StrongAugmentOptions {
  // Flat features [B, D].
  double noise_scale = 0.1;      ///< std of the added Gaussian noise
  double feature_dropout = 0.1;  ///< probability that a feature is set to 0
  // Images [B, C, H, W].
  double brightness = 0.5;  ///< shift by delta * std of the example, delta ~ U[-b, b]
  double contrast = 0.5;    ///< blend with the example's mean by a factor ~ U[1 - c, 1 + c]
  double translate = 0.125; ///< shift by up to this fraction of the height and of the width
  double cutout = 0.5;      ///< side of the cut square, as a fraction of the shorter side
};

/// The strong view A(u) of a batch: images [B, C, H, W] or flat features
/// [B, D] of floating type, same shape, dtype and device. Random magnitudes
/// per example, drawn from torch's default CPU generator only: the same seed
/// gives the same view on any device. No gradient flows through it.
///   torch::manual_seed(0);
///   auto strong = fixmatch_strong_augment(target.inputs, {});
torch::Tensor fixmatch_strong_augment(const torch::Tensor& inputs, const StrongAugmentOptions& options);

/// Which target examples eq. 4 keeps: max softmax(weak_logits) >= threshold, bool [B].
torch::Tensor fixmatch_mask(const torch::Tensor& weak_logits, double threshold);

/// l_u of eq. 4: the cross-entropy of the strong-view logits [B, C] against
/// the hard pseudo-labels argmax softmax(weak_logits) [B, C], masked by
/// confidence >= threshold, averaged over all B rows. The weak logits carry no
/// gradient (detached).
///   auto l_u = fixmatch_loss(weak_logits, strong_logits, 0.9);
torch::Tensor fixmatch_loss(const torch::Tensor& weak_logits, const torch::Tensor& strong_logits, double threshold);

struct FixMatchOptions : TwoDomainOptions, StrongAugmentOptions {
  double threshold = 0.9;
  double weight = 1.0;
  bool separate_passes = false;
  static void declare(OptionSet<FixMatchOptions>& o) {
    declare_two_domain_options(o);
    o.add("threshold", &FixMatchOptions::threshold,
          "confidence tau a weak-view prediction needs to become a pseudo-label (eq. 4; TLlib DA: 0.9, paper SSL: 0.95)")
        .min(0.0)
        .max(1.0);
    o.add("weight", &FixMatchOptions::weight, "lambda_u, the weight of the unlabelled loss (TLlib's trade_off: 1; paper: 1)")
        .min(0.0);
    o.add("separate_passes", &FixMatchOptions::separate_passes,
          "TLlib's three forward passes (source, weak target without gradient, strong target), each with its own "
          "batch-norm statistics; false: one pass over all three, as the paper's code");
    using S = StrongAugmentOptions;
    o.add("noise_scale", static_cast<double FixMatchOptions::*>(&S::noise_scale),
          "strong view of flat features: std of the added Gaussian noise, in the inputs' units")
        .min(0.0);
    o.add("feature_dropout", static_cast<double FixMatchOptions::*>(&S::feature_dropout),
          "strong view of flat features: probability that a feature is set to 0")
        .min(0.0)
        .max(0.95);
    o.add("brightness", static_cast<double FixMatchOptions::*>(&S::brightness),
          "strong view of images: shift by delta times the example's std, delta ~ U[-b, b]")
        .min(0.0);
    o.add("contrast", static_cast<double FixMatchOptions::*>(&S::contrast),
          "strong view of images: blend with the example's mean by a factor ~ U[1 - c, 1 + c]")
        .min(0.0)
        .max(1.0);
    o.add("translate", static_cast<double FixMatchOptions::*>(&S::translate),
          "strong view of images: shift by up to this fraction of the height and width, whole pixels, filled with 0")
        .min(0.0)
        .max(0.5);
    o.add("cutout", static_cast<double FixMatchOptions::*>(&S::cutout),
          "strong view of images: side of the Cutout square as a fraction of the shorter side (0: none)")
        .min(0.0)
        .max(1.0);
  }
};

class FixMatch : public DomainAdaptation {
 public:
  using Options = FixMatchOptions;
  explicit FixMatch(Options options) : DomainAdaptation(options, "fixmatch"), options_(std::move(options)) {}
  StepReport train_step(StepContext& ctx) override;

 private:
  torch::Tensor logits_of(const torch::Tensor& inputs) { return label_head_->forward(features_of(inputs)); }
  Options options_;
};

}  // namespace graft
