#include "methods/cross_lingual/adversarial.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/error.h"
#include "core/registries.h"

namespace graft {

double muse_lr_scale(double scale, double criterion, double best, bool& shrink_next, double decay, double shrink,
                     double floor) {
  scale = std::max(floor, scale * decay);
  if (criterion < best) {
    if (shrink_next) scale = std::max(floor, scale * shrink);
    shrink_next = true;
  }
  return scale;
}

void AdversarialAlignmentOptions::declare(OptionSet<AdversarialAlignmentOptions>& o) {
  using A = AdversarialAlignmentOptions;
  declare_alignment_options(o);
  o.add("dis_layers", &A::dis_layers, "discriminator hidden layers").min(1);
  o.add("dis_hidden", &A::dis_hidden, "discriminator hidden units").min(1);
  o.add("dis_input_dropout", &A::dis_input_dropout, "dropout on the discriminator's input").min(0.0).max(0.99);
  o.add("dis_dropout", &A::dis_dropout, "dropout after each hidden layer").min(0.0).max(0.99);
  o.add("dis_steps", &A::dis_steps, "discriminator steps per mapping step").min(1);
  o.add("dis_lambda", &A::dis_lambda, "weight of the adversarial loss in the mapping step").above(0.0);
  o.add("dis_smooth", &A::dis_smooth, "label smoothing: source labelled 1 - s, target s").min(0.0).max(0.5);
  o.add("dis_most_frequent", &A::dis_most_frequent, "draw words from this many most frequent ones").min(1);
  o.add("batch_size", &A::batch_size, "words per side in each step").min(1);
  o.add("map_beta", &A::map_beta, "orthogonalisation W <- (1 + b) W - b (W W^T) W after each mapping step").min(0.0);
  o.add("select_every", &A::select_every, "compute the unsupervised criterion every N steps, keep the best W").min(1);
  o.add("select_rank", &A::select_rank, "criterion over this many most frequent source words").min(1);
  o.add("refine_rounds", &A::refine_rounds, "Procrustes refinement rounds at the end (the run's last steps)").min(0);
  o.add("max_rank", &A::max_rank, "refinement: induce pairs among this many most frequent words").min(1);
  o.add("map_lr_factor", &A::map_lr_factor, "learning rate of W = this x the optimizer's (MUSE: both 0.1)").above(0.0);
  o.add("lr_decay", &A::lr_decay, "the mapping's learning rate times this after each criterion check (MUSE: 0.98)")
      .above(0.0)
      .max(1.0);
  o.add("lr_shrink", &A::lr_shrink,
        "and times this after each check below the best but the first (MUSE: 0.5; 1 turns it off)")
      .above(0.0)
      .max(1.0);
  o.add("min_lr_factor", &A::min_lr_factor, "decay and shrink stop at this fraction of the starting rate").above(0.0);
  o.add("restarts", &A::restarts,
        "split the adversarial steps into this many runs from random orthogonal maps; the criterion picks the best")
      .min(1);
}

void AdversarialAlignment::setup(const SetupContext& ctx) {
  EmbeddingAlignment::setup(ctx);
  adversarial_steps_ = ctx.total_steps - options_.refine_rounds;
  if (adversarial_steps_ < 0)
    throw Error(fmt::format("method.refine_rounds = {} but the run has only {} steps; steps must cover the "
                            "adversarial steps and the refinement rounds",
                            options_.refine_rounds, ctx.total_steps));
  restart_length_ = std::max<std::int64_t>(1, adversarial_steps_ / options_.restarts);
  mapping_.set_requires_grad(true);
  const std::int64_t dim = source_.size(1);
  discriminator_ = torch::nn::Sequential();
  discriminator_->push_back(torch::nn::Dropout(options_.dis_input_dropout));
  std::int64_t in = dim;
  for (std::int64_t i = 0; i < options_.dis_layers; ++i) {
    discriminator_->push_back(torch::nn::Linear(in, options_.dis_hidden));
    discriminator_->push_back(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)));
    discriminator_->push_back(torch::nn::Dropout(options_.dis_dropout));
    in = options_.dis_hidden;
  }
  discriminator_->push_back(torch::nn::Linear(in, 1));
  register_module("discriminator", discriminator_);
  discriminator_->to(ctx.device);
  best_mapping_ = register_buffer("best_mapping", mapping_.detach().clone());
}

std::vector<ParameterGroup> AdversarialAlignment::parameter_groups() {
  return {{"mapping", {mapping_}, options_.map_lr_factor}, {"discriminator", discriminator_->parameters(), 1.0}};
}

std::pair<torch::Tensor, torch::Tensor> AdversarialAlignment::discriminate(bool mapping_grad) {
  const std::int64_t b = options_.batch_size;
  const auto ids_s = torch::randint(std::min(options_.dis_most_frequent, source_.size(0)), {b}, torch::kInt64)
                         .to(source_.device());
  const auto ids_t = torch::randint(std::min(options_.dis_most_frequent, target_.size(0)), {b}, torch::kInt64)
                         .to(target_.device());
  auto mapped = torch::matmul(source_.index_select(0, ids_s), mapping_.t());
  if (!mapping_grad) mapped = mapped.detach();
  const auto inputs = torch::cat({mapped, target_.index_select(0, ids_t)});
  const auto labels = torch::cat({torch::full({b}, 1.0 - options_.dis_smooth, source_.options()),
                                  torch::full({b}, options_.dis_smooth, source_.options())});
  return {discriminator_->forward(inputs).squeeze(1), labels};
}

StepReport AdversarialAlignment::train_step(StepContext& ctx) {
  StepReport report;
  if (ctx.step >= adversarial_steps_) {
    // Refinement: start from the W the criterion chose, then Procrustes on
    // mutual CSLS neighbours, keeping the best round by the same criterion.
    report.apply_update = false;
    if (ctx.step == adversarial_steps_ && adversarial_steps_ > 0) set_mapping(best_mapping_);
    const IndexPairs pairs = induce_dictionary(options_.max_rank);
    solve_procrustes(pairs);
    report.scalars["dictionary_pairs"] = static_cast<double>(pairs.size());
    select(report, false);
    if (ctx.step + 1 == ctx.total_steps) set_mapping(best_mapping_);
    return report;
  }
  const std::int64_t within = ctx.step % restart_length_;
  if (within == 0 && ctx.step > 0 && ctx.step / restart_length_ < options_.restarts) restart();
  const std::int64_t cycle = options_.dis_steps + 1;
  mapping_step_ = within % cycle == options_.dis_steps;
  if (!mapping_step_) {
    discriminator_->train();
    auto [logits, labels] = discriminate(false);
    const auto loss = torch::binary_cross_entropy_with_logits(logits, labels);
    loss.backward();
    mapping_.mutable_grad() = torch::Tensor();  // only the discriminator moves
    report.scalars["loss.discriminator"] = loss.item<double>();
  } else {
    discriminator_->eval();  // as MUSE: no dropout while the mapping learns to fool it
    auto [logits, labels] = discriminate(true);
    const auto loss = options_.dis_lambda * torch::binary_cross_entropy_with_logits(logits, 1.0 - labels);
    // Scaled by MUSE's decayed rate; a clone, not a view: zero_grad detaches grads in place.
    mapping_.mutable_grad() = (torch::autograd::grad({loss}, {mapping_})[0] * lr_scale_).contiguous();
    for (auto& p : discriminator_->parameters()) p.mutable_grad() = torch::Tensor();
    report.scalars["loss.mapping"] = loss.item<double>();
  }
  report.scalars["map_lr_scale"] = lr_scale_;
  report.samples = 2 * options_.batch_size;
  if ((within + 1) % options_.select_every == 0 || within + 1 == restart_length_ || ctx.step + 1 == adversarial_steps_)
    select(report, true);
  return report;
}

void AdversarialAlignment::select(StepReport& report, bool adversarial) {
  const double value = criterion(options_.select_rank);
  report.scalars["criterion"] = value;
  if (adversarial)  // MUSE's update_lr at the end of an epoch, before its best-model check
    lr_scale_ = muse_lr_scale(lr_scale_, value, best_criterion_, shrink_next_, options_.lr_decay, options_.lr_shrink,
                              options_.min_lr_factor);
  if (value > best_criterion_) {
    best_criterion_ = value;
    torch::NoGradGuard no_grad;
    best_mapping_.copy_(mapping_);
  }
}

void AdversarialAlignment::restart() {
  torch::NoGradGuard no_grad;
  const std::int64_t d = mapping_.size(0);
  auto [q, r] = torch::linalg_qr(torch::randn({d, d}, torch::kFloat64));
  mapping_.copy_(q.to(mapping_.options()));
  lr_scale_ = 1.0;  // a fresh run; the best criterion stays, across restarts
  shrink_next_ = false;
  for (auto& module : discriminator_->modules(false))
    if (auto* linear = module->as<torch::nn::Linear>()) linear->reset_parameters();
}

void AdversarialAlignment::after_update(StepContext&) {
  if (!mapping_step_ || options_.map_beta == 0.0) return;
  torch::NoGradGuard no_grad;
  const double beta = options_.map_beta;
  mapping_.copy_((1 + beta) * mapping_ - beta * torch::matmul(torch::matmul(mapping_, mapping_.t()), mapping_));
}

void AdversarialAlignment::save_extra(torch::serialize::OutputArchive& archive) const {
  archive.write("best_criterion", torch::tensor(best_criterion_, torch::kFloat64));
  archive.write("lr_scale", torch::tensor({lr_scale_, shrink_next_ ? 1.0 : 0.0}, torch::kFloat64));
}

void AdversarialAlignment::load_extra(torch::serialize::InputArchive& archive) {
  torch::Tensor value, scale;
  archive.read("best_criterion", value);
  best_criterion_ = value.item<double>();
  archive.read("lr_scale", scale);
  lr_scale_ = scale[0].item<double>();
  shrink_next_ = scale[1].item<double>() > 0.5;
}

GRAFT_REGISTER_METHOD(AdversarialAlignment, "adversarial",
                      "unsupervised: adversarial mapping with orthogonalisation, criterion-selected, then CSLS "
                      "refinement (MUSE, Conneau et al. 2018)");

}  // namespace graft
