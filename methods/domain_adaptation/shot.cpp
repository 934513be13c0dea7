#include "methods/domain_adaptation/shot.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/distributed.h"
#include "core/error.h"
#include "core/loader.h"
#include "core/model.h"
#include "core/registries.h"

namespace graft {

namespace F = torch::nn::functional;

namespace {

/// Examples per batch of the whole-set pass. It only trades memory for
/// speed: in eval mode each example's features do not depend on the others.
constexpr std::int64_t kLabellingBatch = 256;

/// An empty tensor stands for "not computed" in checkpoints (an archive cannot
/// hold an undefined one).
torch::Tensor saved_form(const torch::Tensor& t, torch::ScalarType empty_type) {
  return t.defined() ? t.cpu() : torch::empty({0}, torch::TensorOptions().dtype(empty_type));
}

}  // namespace

torch::Tensor label_smoothed_cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels, double smoothing) {
  GRAFT_CHECK(logits.dim() == 2 && labels.dim() == 1 && labels.size(0) == logits.size(0) && logits.size(0) > 0, "shot",
              "the source loss expects logits [batch, classes] and labels [batch], got [{}] and [{}]",
              fmt::join(logits.sizes(), ", "), fmt::join(labels.sizes(), ", "));
  GRAFT_CHECK(smoothing >= 0.0 && smoothing <= 1.0, "shot", "label smoothing must be in [0, 1], got {}", smoothing);
  const auto log_probabilities = torch::log_softmax(logits, 1);
  const double classes = static_cast<double>(logits.size(1));
  // -sum_k q_k log delta_k with q = (1 - a) one_hot + a / K, split into its two parts.
  const auto true_class = log_probabilities.gather(1, labels.unsqueeze(1)).squeeze(1);
  return -((1.0 - smoothing) * true_class + (smoothing / classes) * log_probabilities.sum(1)).mean();
}

InformationMaximization information_maximization(const torch::Tensor& logits, double epsilon) {
  GRAFT_CHECK(logits.dim() == 2 && logits.size(0) > 0, "shot", "expected target logits [batch, classes], got [{}]",
              fmt::join(logits.sizes(), ", "));
  GRAFT_CHECK(epsilon >= 0.0, "shot", "epsilon must not be negative, got {}", epsilon);
  const auto probabilities = torch::softmax(logits, 1);
  InformationMaximization im;
  im.entropy = -(probabilities * torch::log(probabilities + epsilon)).sum(1).mean();  // eq. 2
  const auto mean = probabilities.mean(0);
  im.diversity = (mean * torch::log(mean + epsilon)).sum();  // eq. 3
  return im;
}

torch::Tensor shot_directions(const torch::Tensor& features) {
  GRAFT_CHECK(features.dim() == 2, "shot", "expected features [examples, width], got [{}]",
              fmt::join(features.sizes(), ", "));
  // The appended 1 makes every norm at least 1: no division by zero, even
  // for an all-zero feature row (dead ReLUs).
  const auto extended = torch::cat({features, torch::ones({features.size(0), 1}, features.options())}, 1);
  return extended / extended.norm(2, 1, /*keepdim=*/true);
}

torch::Tensor nearest_centroid(const torch::Tensor& directions, const torch::Tensor& centroids,
                               const torch::Tensor& candidates) {
  GRAFT_CHECK(directions.dim() == 2 && centroids.dim() == 2 && directions.size(1) == centroids.size(1), "shot",
              "expected directions [examples, D] and centroids [classes, D], got [{}] and [{}]",
              fmt::join(directions.sizes(), ", "), fmt::join(centroids.sizes(), ", "));
  GRAFT_CHECK(candidates.dim() == 1 && candidates.size(0) == centroids.size(0) &&
                  candidates.scalar_type() == torch::kBool,
              "shot", "expected one bool per centroid ({}), got [{}] of {}", centroids.size(0),
              fmt::join(candidates.sizes(), ", "), c10::toString(candidates.scalar_type()));
  GRAFT_CHECK(candidates.any().item<bool>(), "shot", "no class may be a pseudo-label: every candidate flag is false");
  // Cosine distance 1 - cos(u, c); the rows of `directions` are unit vectors
  // (shot_directions), and a row's scale would not change its argmin anyway.
  const auto unit = centroids / centroids.norm(2, 1, /*keepdim=*/true).clamp_min(std::numeric_limits<float>::min());
  const auto distance = (1.0 - torch::matmul(directions, unit.t()))
                            .masked_fill(candidates.logical_not().unsqueeze(0), std::numeric_limits<double>::infinity());
  return distance.argmin(1);
}

ShotPseudoLabels shot_pseudo_labels(const torch::Tensor& features, const torch::Tensor& probabilities) {
  GRAFT_CHECK(features.dim() == 2 && probabilities.dim() == 2 && features.size(0) == probabilities.size(0) &&
                  features.size(0) > 0,
              "shot", "expected features [examples, width] and probabilities [examples, classes] of the same examples, "
              "got [{}] and [{}]",
              fmt::join(features.sizes(), ", "), fmt::join(probabilities.sizes(), ", "));
  const auto directions = shot_directions(features);
  const std::int64_t classes = probabilities.size(1);
  // Eq. 4-5 weight each example by the classifier's probabilities; eq. 6 by
  // the labels of eq. 5. A class competes if the step before gave it an
  // example: the classifier's argmax before eq. 5, eq. 5's labels before eq. 6.
  auto weights = probabilities.to(directions.scalar_type());
  auto previous = probabilities.argmax(1);
  ShotPseudoLabels result;
  for (int round = 0; round < 2; ++round) {
    // A class without weight (possible in eq. 6 only, and never a candidate
    // there) keeps a zero centroid instead of 0/0.
    result.centroids = torch::matmul(weights.t(), directions) /
                       weights.sum(0).unsqueeze(1).clamp_min(std::numeric_limits<float>::min());
    result.candidates = torch::bincount(previous, /*weights=*/{}, classes).gt(0);
    result.labels = nearest_centroid(directions, result.centroids, result.candidates);
    weights = F::one_hot(result.labels, classes).to(directions.scalar_type());
    previous = result.labels;
  }
  return result;
}

std::int64_t Shot::adaptation_start(std::int64_t total_steps) const {
  return static_cast<std::int64_t>(std::floor(options_.source_fraction * static_cast<double>(total_steps)));
}

std::int64_t Shot::relabel_interval(std::int64_t global_batch) const {
  if (options_.pseudo_label_every > 0) return options_.pseudo_label_every;
  GRAFT_CHECK(target_data_, "method 'shot'", "relabel_interval needs setup() first (the target set's size)");
  // The stream's epochs drop their ragged tail: floor(N / batch) batches each.
  return std::max<std::int64_t>(1, target_data_->split("train").size() / std::max<std::int64_t>(1, global_batch));
}

void Shot::setup_extra(const SetupContext& ctx, std::int64_t /*feature_dim*/, std::int64_t /*classes*/) {
  const DataSet& target = ctx.domain(common_.target);
  GRAFT_CHECK(target.has_split("train"), "method 'shot'",
              "target '{}' has no training split, and SHOT pseudo-labels the whole target training set", target.name);
  target_data_ = ctx.domains.at(common_.target);
  // The labeller: a frozen copy of the feature extractor, overwritten each
  // time the labels are computed (see the header). Built like the original.
  labeller_backbone_ = register_module("labeller_backbone", ctx.make_backbone(ctx.domain(common_.source).input_shape));
  if (common_.bottleneck > 0)
    labeller_bottleneck_ =
        register_module("labeller_bottleneck", make_bottleneck(labeller_backbone_->feature_dim(), common_.bottleneck));
  for (auto& p : labeller_backbone_->parameters()) p.requires_grad_(false);
  if (labeller_bottleneck_)
    for (auto& p : labeller_bottleneck_->parameters()) p.requires_grad_(false);
}

std::vector<std::string> Shot::feature_groups() const {
  std::vector<std::string> groups{"backbone"};
  if (bottleneck_) groups.push_back("bottleneck");
  return groups;
}

torch::Tensor Shot::labeller_features(const torch::Tensor& inputs) {
  torch::NoGradGuard no_grad;
  // Eval mode, as the official obtain_label: batch-norm running statistics,
  // no dropout. The framework's train() resets it, so set it at every use.
  labeller_backbone_->eval();
  const auto features = labeller_backbone_->forward(inputs);
  if (!labeller_bottleneck_) return features;
  labeller_bottleneck_->eval();
  return labeller_bottleneck_->forward(features);
}

void Shot::relabel(const StepContext& ctx) {
  torch::NoGradGuard no_grad;
  auto copy = [](torch::nn::Module& from, torch::nn::Module& to) {
    auto targets = to.named_parameters();
    for (const auto& item : from.named_parameters()) targets[item.key()].copy_(item.value());
    auto target_buffers = to.named_buffers();
    for (const auto& item : from.named_buffers()) target_buffers[item.key()].copy_(item.value());
  };
  copy(*backbone_, *labeller_backbone_);
  if (bottleneck_) copy(*bottleneck_, *labeller_bottleneck_);
  // The labels must be the same on every data-parallel process, since each
  // labels its own slice of the batch with them. They are computed from the
  // same data (the whole training split, in order, on every process) and the
  // same weights: parameters are equal everywhere (every process applies the
  // same averaged gradients), but batch-norm running statistics are each
  // process's own, gathered on its own slices. Averaging them here makes the
  // labeller, and with it every feature, centroid and label, the same on
  // every process (ctx.reduce is a no-op for one).
  std::vector<torch::Tensor> statistics;
  for (auto& buffer : labeller_backbone_->buffers())
    if (buffer.is_floating_point()) statistics.push_back(buffer);
  if (labeller_bottleneck_)
    for (auto& buffer : labeller_bottleneck_->buffers())
      if (buffer.is_floating_point()) statistics.push_back(buffer);
  if (ctx.reduce && !statistics.empty()) ctx.reduce(statistics);

  const bool head_training = label_head_->is_training();
  label_head_->eval();
  std::vector<torch::Tensor> features, probabilities;
  // Evaluation transforms, in order. The batches carry the split's labels
  // too (for_each_batch is the evaluation reader): they are never read here.
  for_each_batch(*target_data_, "train", kLabellingBatch, ctx.device, LoaderOptions{}, [&](const Batch& batch) {
    const auto f = labeller_features(batch.inputs);
    features.push_back(f);
    probabilities.push_back(torch::softmax(label_head_->forward(f), 1));
  });
  label_head_->train(head_training);
  ShotPseudoLabels labels = shot_pseudo_labels(torch::cat(features), torch::cat(probabilities));
  pseudo_labels_ = std::move(labels.labels);
  centroids_ = std::move(labels.centroids);
  candidates_ = std::move(labels.candidates);
  labelled_at_ = ctx.step;
}

torch::Tensor Shot::pseudo_labels_of(const torch::Tensor& inputs) {
  GRAFT_CHECK(centroids_.defined(), "method 'shot'",
              "no pseudo-labels yet: they are computed at the first step of the adaptation phase");
  return nearest_centroid(shot_directions(labeller_features(inputs)), centroids_, candidates_);
}

StepReport Shot::train_step(StepContext& ctx) {
  const std::int64_t start = adaptation_start(ctx.total_steps);
  if (ctx.step < start) {
    // The source model (eq. 1): the whole network on the labelled source.
    const Batch& source = ctx.batch("source");
    const auto loss = label_smoothed_cross_entropy(label_head_->forward(features_of(source.inputs)),
                                                   source.target("label"), options_.label_smoothing);
    loss.backward();
    return {{{"loss.task", loss.item<double>()}}};
  }

  // Source-free from here on: only the target batch is read.
  const Batch& target = ctx.batch("target");
  // The official code skips its pseudo-labels when their weight is 0 (SHOT-IM).
  if (options_.beta > 0.0 && (ctx.step - start) % relabel_interval(target.size() * process_count()) == 0)
    relabel(ctx);
  // The frozen hypothesis: no batch-norm statistics or dropout of its own either.
  label_head_->eval();
  const auto logits = label_head_->forward(features_of(target.inputs));
  const auto im = information_maximization(logits, options_.epsilon);
  auto loss = options_.im_weight * im.total();
  StepReport report;
  report.scalars = {{"loss.entropy", im.entropy.item<double>()}, {"loss.diversity", im.diversity.item<double>()}};
  if (options_.beta > 0.0) {
    const auto pseudo_label = F::cross_entropy(logits, pseudo_labels_of(target.inputs));
    loss = loss + options_.beta * pseudo_label;
    report.scalars["loss.pseudo_label"] = pseudo_label.item<double>();
  }
  loss.backward();
  // The label head got gradients too; updating only the feature extractor's
  // groups leaves it, and its optimizer state, exactly as it is.
  ctx.update(feature_groups());
  report.apply_update = false;
  return report;
}

void Shot::save_extra(torch::serialize::OutputArchive& archive) const {
  // The labeller's weights are registered modules, saved with the others.
  archive.write("shot_labelled_at", torch::tensor(labelled_at_, torch::kInt64));
  archive.write("shot_pseudo_labels", saved_form(pseudo_labels_, torch::kInt64));
  archive.write("shot_centroids", saved_form(centroids_, torch::kFloat32));
  archive.write("shot_candidates", saved_form(candidates_, torch::kBool));
}

void Shot::load_extra(torch::serialize::InputArchive& archive) {
  torch::Tensor labelled_at, pseudo_labels, centroids, candidates;
  archive.read("shot_labelled_at", labelled_at);
  archive.read("shot_pseudo_labels", pseudo_labels);
  archive.read("shot_centroids", centroids);
  archive.read("shot_candidates", candidates);
  labelled_at_ = labelled_at.item<std::int64_t>();
  const torch::Device device = label_head_->parameters().front().device();
  auto restored = [&device](const torch::Tensor& t) { return t.numel() == 0 ? torch::Tensor() : t.to(device); };
  pseudo_labels_ = restored(pseudo_labels);
  centroids_ = restored(centroids);
  candidates_ = restored(candidates);
}

GRAFT_REGISTER_METHOD(Shot, "shot",
                      "source-free DA: a source model, then its frozen classifier with information maximisation and "
                      "clustered pseudo-labels on the target (Liang et al., ICML 2020)");

}  // namespace graft
