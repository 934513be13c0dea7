#pragma once
// PADA: partial adversarial domain adaptation (Cao, Ma, Long and Wang,
// "Partial Adversarial Domain Adaptation", ECCV 2018), for partial domain
// adaptation: the target's classes are a subset of the source's. DANN
// (dann.h) matches the whole source distribution to the target, so it pulls
// target examples towards the source classes the target does not have (the
// "outlier" classes): negative transfer. PADA weighs every source example by
// a weight of its class that is small for the outlier classes, in both the
// classification loss and the domain adversary.
//
// The class weights are the classifier's mean prediction over the target
// (eq. 3), which the paper then divides by its largest entry, since some
// weights are very small:
//   gamma = (1/n_t) sum_{x_i in D_t} y^_i,   gamma <- gamma / max(gamma)
// where y^_i is the classifier's probability vector of target example x_i:
// the target has no examples of an outlier class, so the classifier gives
// such a class little probability on the target. The objective (eq. 4),
// with the saddle point of eq. 5 found, as in DANN, with a gradient-reversal
// layer R_lambda in front of the domain classifier G_d:
//   C = (1/n_s) sum_{x_i in D_s} gamma_{y_i} L_y(G_y(G_f(x_i)), y_i)
//       - (lambda/n_s) sum_{x_i in D_s} gamma_{y_i} L_d(G_d(G_f(x_i)), d_i)
//       - (lambda/n_t) sum_{x_j in D_t} L_d(G_d(G_f(x_j)), d_j)
// The equation numbers are those of the arXiv version (1808.04205) as
// remembered here; they were not checked against its text, which was not at
// hand (a summary of its method section gave the same formulas).
//
// graft follows TLlib (tllib/reweight/pada.py: ClassWeightModule,
// AutomaticUpdateClassWeightModule; examples/domain_adaptation/
// partial_domain_adaptation/pada.py), whose weighting differs from eq. 4 in
// three places:
//  * a temperature: y^_i = softmax(logits_i / T), T = 0.1 (`temperature`;
//    the paper's and the authors' code's plain softmax is T = 1). A low T
//    counts each target example for the class it predicts, nearly one-hot.
//  * the classification loss is the gamma-weighted mean over the source batch
//    (PyTorch's cross_entropy with `weight`, as in the authors' code too):
//      L_y = sum_i gamma_{y_i} CE_i / sum_i gamma_{y_i}
//    where eq. 4 divides by the batch size. A batch whose source examples all
//    weigh 0 gives L_y = 0 here, where PyTorch's 0/0 would end the run (with
//    T = 0.1 the weight of a class can underflow to exactly 0).
//  * the target rows of the domain loss weigh the mean of the source rows'
//    weights, so that both domains weigh the same in the adversary (eq. 4 and
//    the authors' code: 1, `target_weight: one`; the authors' code divides the
//    source rows' weights by their largest in the batch instead).
// The domain loss is the weighted mean over both domains' rows (labels: source
// 0, target 1, as graft's DANN):
//   L_d = (sum_i gamma_{y_i} BCE_i + sum_j w_t BCE_j) / (B_s + B_t)
// which is TLlib's (mean_s + mean_t) / 2 for equal batches, and with every
// weight 1 is DANN's loss exactly. total = L_y + L_d (TLlib's trade_off 1),
// with lambda (AdversarialOptions: DANN's progressive schedule over the run)
// scaling only the gradient that reaches the features, as in dann.h. The rest
// of TLlib's recipe is set in the experiment: bottleneck 256, a domain
// classifier of two 1024-wide BatchNorm layers (`domain_hidden: [1024, 1024],
// domain_batch_norm: true`), backbone_lr 0.1, SGD lr 0.002 with Nesterov
// momentum 0.9 and weight decay 1e-3, batch 36; its gradient-reversal layer
// reaches lambda 1 over its first few thousand iterations (TLlib's warm start,
// max_iters 1000), not over the run.
//
// The weights are computed from the whole target training set, every
// `update_steps` steps (TLlib and the authors' code: 500): with every module in
// eval mode (TLlib's collect_classification_results) and without gradient, the
// training split read in order through its evaluation transforms (as SHOT's
// pseudo-labels, shot.h; TLlib reads it through its training loader). Until the
// first update every weight is 1 and a step is DANN's, the same code. The first
// update is at step `update_steps`, before that step's loss, from the model
// after `update_steps` optimizer steps; TLlib's comes one optimizer step
// earlier (its counter ticks after the loss of step update_steps - 1 is
// formed, before that step's update). With several data-parallel processes
// the mean prediction is averaged across them before it is normalised (each
// has its own batch-norm statistics), so every process weighs alike; each
// normalises its classification loss over its own part of the batch, as
// PyTorch's DistributedDataParallel would.
//
// The weights are a registered buffer (`class_weights`), so checkpoints carry
// them: a resumed run weighs as the uninterrupted one. Logged each step:
// class_weight.min, class_weight.mean, and class_weight.entropy, the entropy
// of gamma / sum(gamma) in nats (log K while every weight is 1; it falls as the
// weights concentrate on the target's classes).

#include <cstdint>
#include <memory>
#include <string>

#include "methods/domain_adaptation/dann.h"

namespace graft {

/// The mean prediction (1/N) sum_i softmax(logits_i / T) over the rows of
/// logits [N, K], [K]: what eq. 3 averages, before it is normalised.
torch::Tensor pada_mean_prediction(const torch::Tensor& logits, double temperature);

/// gamma of eq. 3 from a mean prediction [K]: divided by its largest entry.
///   auto gamma = pada_class_weights(pada_mean_prediction(target_logits, 0.1));
torch::Tensor pada_class_weights(const torch::Tensor& mean_prediction);

/// The gamma-weighted classification loss of source logits [B, K] and labels
/// [B] under class weights [K]: sum_i gamma_{y_i} CE_i / sum_i gamma_{y_i}
/// (0 when every weight in the batch is 0).
torch::Tensor pada_classification_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                                       const torch::Tensor& class_weights);

/// The weights [Bt] of the target rows of the domain loss, given the source
/// rows' weights [Bs]: their mean ("source_mean", TLlib) or 1 ("one", eq. 4).
torch::Tensor pada_target_weights(const torch::Tensor& source_weights, std::int64_t target_rows,
                                  const std::string& mode);

/// The weighted domain loss of domain logits [Bs + Bt] (source rows first,
/// label 0; target rows label 1): sum_i w_i BCE_i / (Bs + Bt).
torch::Tensor pada_domain_loss(const torch::Tensor& domain_logits, const torch::Tensor& source_weights,
                               const torch::Tensor& target_weights);

/// The entropy of gamma / sum(gamma) in nats, a 0 weight adding nothing.
double pada_class_weight_entropy(const torch::Tensor& class_weights);

struct PadaOptions : AdversarialOptions {
  std::int64_t update_steps = 500;
  double temperature = 0.1;
  std::string target_weight = "source_mean";
  static void declare(OptionSet<PadaOptions>& o) {
    declare_adversarial_options(o);
    o.add("update_steps", &PadaOptions::update_steps,
          "steps between two computations of the class weights over the whole target training set (TLlib and the "
          "authors' code: 500); until the first, at this step, every weight is 1 (DANN)")
        .min(1);
    o.add("temperature", &PadaOptions::temperature,
          "T of softmax(logits / T) in the class weights' mean prediction (TLlib: 0.1; the paper's plain softmax: 1)")
        .above(0.0);
    o.add("target_weight", &PadaOptions::target_weight,
          "weight of the target rows in the domain loss: source_mean (the mean weight of the source batch, TLlib) or "
          "one (eq. 4 and the authors' code)")
        .choices({"source_mean", "one"});
  }
};

class Pada : public Dann {
 public:
  using Options = PadaOptions;
  explicit Pada(Options options) : Dann(options, "pada"), options_(std::move(options)) {}

  StepReport train_step(StepContext& ctx) override;
  /// gamma [K], as last computed (every weight 1 before the first update).
  const torch::Tensor& class_weights() const { return class_weights_; }

 protected:
  void setup_extra(const SetupContext& ctx, std::int64_t feature_dim, std::int64_t classes) override;

 private:
  /// gamma from the whole target training set, with the model as it is now (eq. 3).
  void update_class_weights(const StepContext& ctx);
  /// Eq. 4 with TLlib's weighting (see above), once gamma has been computed.
  StepReport weighted_step(StepContext& ctx);

  Options options_;
  std::shared_ptr<const DataSet> target_data_;  ///< its training split gives gamma
  torch::Tensor class_weights_;                 ///< gamma [K], a buffer
};

}  // namespace graft
