#include "methods/domain_adaptation/fixmatch.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.h"
#include "core/registries.h"

namespace graft {

// The helpers' namespace has a name: the methods are compiled in unity
// batches, where anonymous namespaces of several files meet.
namespace fixmatch_views {

// Every random number of the strong view comes from torch's default CPU
// generator (checkpointed by the framework), in float32 whatever the inputs'
// dtype, and is then moved to the inputs' device and dtype: the same seed
// gives the same view on the CPU and on a GPU.
torch::Tensor uniform_draws(std::int64_t n, double low, double high, const torch::Tensor& like) {
  return (torch::rand({n}, torch::kFloat32) * (high - low) + low).to(like.options());
}

torch::Tensor integer_draws(std::int64_t low, std::int64_t high_inclusive, std::int64_t n, const torch::Device& device) {
  return torch::randint(low, high_inclusive + 1, {n}, torch::kInt64).to(device);
}

// Noise, then feature dropout: graft's stand-in for RandAugment on vectors.
torch::Tensor augment_features(const torch::Tensor& x, const StrongAugmentOptions& o) {
  torch::Tensor out = x;
  if (o.noise_scale > 0) out = out + o.noise_scale * torch::randn(x.sizes(), torch::kFloat32).to(x.options());
  if (o.feature_dropout > 0)
    out = out * (torch::rand(x.sizes(), torch::kFloat32) >= o.feature_dropout).to(x.options());
  return out;
}

// out[b, :, r, c] = x[b, :, r - dy_b, c - dx_b], 0 where that falls outside:
// an exact whole-pixel shift, per example, without a loop over the batch.
torch::Tensor translate_images(const torch::Tensor& x, const torch::Tensor& dy, const torch::Tensor& dx) {
  const std::int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const auto index_options = torch::TensorOptions().dtype(torch::kInt64).device(x.device());
  const auto rows = torch::arange(h, index_options).unsqueeze(0) - dy.unsqueeze(1);  // [B, H] source rows
  const auto cols = torch::arange(w, index_options).unsqueeze(0) - dx.unsqueeze(1);  // [B, W] source columns
  auto out = x.gather(2, rows.clamp(0, h - 1).view({b, 1, h, 1}).expand({b, c, h, w}));
  out = out.gather(3, cols.clamp(0, w - 1).view({b, 1, 1, w}).expand({b, c, h, w}));
  const auto inside = rows.ge(0).logical_and(rows.lt(h)).view({b, 1, h, 1})
                          .logical_and(cols.ge(0).logical_and(cols.lt(w)).view({b, 1, 1, w}));
  return out.masked_fill(inside.logical_not(), 0.0);
}

// Contrast, brightness, translation, Cutout (the header says why each is so).
torch::Tensor augment_images(const torch::Tensor& x, const StrongAugmentOptions& o) {
  const std::int64_t b = x.size(0), h = x.size(2), w = x.size(3);
  torch::Tensor out = x;
  if (o.contrast > 0) {
    const auto factor = uniform_draws(b, 1.0 - o.contrast, 1.0 + o.contrast, x).view({b, 1, 1, 1});
    const auto mean = out.mean({1, 2, 3}, /*keepdim=*/true);
    out = mean + factor * (out - mean);
  }
  if (o.brightness > 0) {
    const auto delta = uniform_draws(b, -o.brightness, o.brightness, x).view({b, 1, 1, 1});
    // In units of the example's own (population) standard deviation: a
    // constant image stays as it is.
    const auto mean = out.mean({1, 2, 3}, /*keepdim=*/true);
    const auto spread = (out - mean).pow(2).mean({1, 2, 3}, /*keepdim=*/true).sqrt();
    out = out + delta * spread;
  }
  const std::int64_t max_dy = static_cast<std::int64_t>(std::floor(o.translate * static_cast<double>(h)));
  const std::int64_t max_dx = static_cast<std::int64_t>(std::floor(o.translate * static_cast<double>(w)));
  if (max_dy > 0 || max_dx > 0) {
    const auto dy = integer_draws(-max_dy, max_dy, b, x.device());
    const auto dx = integer_draws(-max_dx, max_dx, b, x.device());
    out = translate_images(out, dy, dx);
  }
  if (o.cutout > 0) {
    const std::int64_t side =
        std::max<std::int64_t>(1, std::llround(o.cutout * static_cast<double>(std::min(h, w))));
    // Centre uniform over the image; the square is clipped at the border
    // (DeVries and Taylor's Cutout, and FixMatch's CutoutAbs).
    const auto top = integer_draws(0, h - 1, b, x.device()) - side / 2;
    const auto left = integer_draws(0, w - 1, b, x.device()) - side / 2;
    const auto index_options = torch::TensorOptions().dtype(torch::kInt64).device(x.device());
    const auto rows = torch::arange(h, index_options).unsqueeze(0);
    const auto cols = torch::arange(w, index_options).unsqueeze(0);
    const auto in_rows = rows.ge(top.unsqueeze(1)).logical_and(rows.lt(top.unsqueeze(1) + side));
    const auto in_cols = cols.ge(left.unsqueeze(1)).logical_and(cols.lt(left.unsqueeze(1) + side));
    out = out.masked_fill(in_rows.view({b, 1, h, 1}).logical_and(in_cols.view({b, 1, 1, w})), 0.0);
  }
  return out;
}

}  // namespace fixmatch_views

torch::Tensor fixmatch_strong_augment(const torch::Tensor& inputs, const StrongAugmentOptions& options) {
  GRAFT_CHECK(inputs.defined() && (inputs.dim() == 2 || inputs.dim() == 4) && inputs.is_floating_point() &&
                  inputs.size(0) > 0,
              "fixmatch",
              "the strong augmentation expects flat features [batch, features] or images [batch, channels, height, "
              "width] of a floating type, got [{}] {}",
              inputs.defined() ? fmt::format("{}", fmt::join(inputs.sizes(), ", ")) : std::string("undefined"),
              inputs.defined() ? std::string(c10::toString(inputs.scalar_type())) : std::string());
  torch::NoGradGuard no_grad;
  return inputs.dim() == 2 ? fixmatch_views::augment_features(inputs, options)
                           : fixmatch_views::augment_images(inputs, options);
}

torch::Tensor fixmatch_mask(const torch::Tensor& weak_logits, double threshold) {
  GRAFT_CHECK(weak_logits.dim() == 2 && weak_logits.size(0) > 0 && weak_logits.size(1) > 0, "fixmatch",
              "expected weak-view logits [batch, classes], got [{}]", fmt::join(weak_logits.sizes(), ", "));
  GRAFT_CHECK(threshold >= 0.0 && threshold <= 1.0, "fixmatch", "threshold must be in [0, 1], got {}", threshold);
  // max_c softmax = 1 / sum_c exp(z_c - max z): the confidence of the weak view.
  return torch::softmax(weak_logits.detach(), 1).amax(1) >= threshold;
}

torch::Tensor fixmatch_loss(const torch::Tensor& weak_logits, const torch::Tensor& strong_logits, double threshold) {
  GRAFT_CHECK(weak_logits.dim() == 2 && weak_logits.sizes() == strong_logits.sizes(), "fixmatch",
              "fixmatch_loss expects weak- and strong-view logits of one shape [batch, classes], got [{}] and [{}]",
              fmt::join(weak_logits.sizes(), ", "), fmt::join(strong_logits.sizes(), ", "));
  const auto mask = fixmatch_mask(weak_logits, threshold);
  // The hard pseudo-label q^_b: no gradient (argmax is piecewise constant anyway).
  const auto pseudo_labels = weak_logits.detach().argmax(1);
  const auto per_example = torch::nn::functional::cross_entropy(
      strong_logits, pseudo_labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  // Eq. 4 averages over all mu B target rows, the masked ones counting zero.
  return (per_example * mask.to(per_example.scalar_type())).mean();
}

StepReport FixMatch::train_step(StepContext& ctx) {
  const Batch& source = ctx.batch("source");
  const Batch& target = ctx.batch("target");
  const auto strong = fixmatch_strong_augment(target.inputs, options_);
  torch::Tensor source_logits, weak_logits, strong_logits;
  if (options_.separate_passes) {
    {
      // TLlib's order: the weak view first, without gradient (batch-norm
      // running statistics still see it, the model being in train mode).
      torch::NoGradGuard no_grad;
      weak_logits = logits_of(target.inputs);
    }
    source_logits = logits_of(source.inputs);
    strong_logits = logits_of(strong);
  } else {
    const std::int64_t s = source.size(), t = target.size();
    const auto logits = logits_of(torch::cat({source.inputs, target.inputs, strong}));
    source_logits = logits.slice(0, 0, s);
    weak_logits = logits.slice(0, s, s + t);
    strong_logits = logits.slice(0, s + t);
  }
  const auto task = torch::nn::functional::cross_entropy(source_logits, source.target("label"));
  const auto consistency = fixmatch_loss(weak_logits, strong_logits, options_.threshold);
  (task + options_.weight * consistency).backward();
  const double mask_rate =
      fixmatch_mask(weak_logits, options_.threshold).to(torch::kFloat64).mean().item<double>();
  return {{{"loss.task", task.item<double>()},
           {"loss.consistency", consistency.item<double>()},
           {"mask_rate", mask_rate}}};
}

GRAFT_REGISTER_METHOD(FixMatch, "fixmatch",
                      "pseudo-labels from a weak view, confidence-masked, taught to a strong view (Sohn et al., "
                      "NeurIPS 2020)");

}  // namespace graft
