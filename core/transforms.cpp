// The pipeline and the built-in transforms (torchvision's names, options and
// defaults; the formulas of torchvision's tensor transforms).
#include "core/transforms.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.h"
#include "core/registries.h"

namespace graft {

const std::vector<double> kImageNetMean{0.485, 0.456, 0.406};
const std::vector<double> kImageNetStd{0.229, 0.224, 0.225};

namespace {
std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}
}  // namespace

ExampleRandom::ExampleRandom(std::uint64_t seed, std::int64_t epoch, std::int64_t index)
    : state_(splitmix64(splitmix64(splitmix64(seed) ^ static_cast<std::uint64_t>(epoch)) ^
                        static_cast<std::uint64_t>(index))) {}

std::uint64_t ExampleRandom::next() {
  state_ += 0x9E3779B97F4A7C15ULL;
  return splitmix64(state_);
}

double ExampleRandom::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
double ExampleRandom::uniform(double low, double high) { return low + (high - low) * uniform(); }
std::int64_t ExampleRandom::integer(std::int64_t low, std::int64_t high) {
  const auto span = static_cast<std::uint64_t>(high - low) + 1;
  return low + static_cast<std::int64_t>(next() % span);
}

torch::Tensor finish_plan(const torch::Tensor& pixels, const ImagePlan& plan) {
  torch::Tensor x = pixels;
  if (x.size(1) != plan.height || x.size(2) != plan.width) {
    namespace F = torch::nn::functional;
    x = F::interpolate(x.unsqueeze(0), F::InterpolateFuncOptions()
                                           .size(std::vector<std::int64_t>{plan.height, plan.width})
                                           .mode(torch::kBilinear)
                                           .align_corners(false)
                                           .antialias(true))
            .squeeze(0);
  }
  if (plan.flip) x = x.flip({2});
  return x;
}

TransformPipeline::TransformPipeline(std::vector<std::shared_ptr<const Transform>> steps) : steps_(std::move(steps)) {
  while (planned_ < steps_.size() && steps_[planned_]->geometric()) ++planned_;
}

torch::Tensor TransformPipeline::load(const ExampleReader& reader, std::int64_t index, ExampleRandom& random) const {
  ImagePlan plan;
  const torch::Tensor raw = reader.read(index, [&](std::int64_t width, std::int64_t height) {
    plan = ImagePlan::whole(width, height);
    for (std::size_t i = 0; i < planned_; ++i) steps_[i]->plan(plan, random);
    return plan;
  });
  torch::Tensor x = finish_plan(raw.to(torch::kFloat32).div_(255.0), plan);
  for (std::size_t i = planned_; i < steps_.size(); ++i) {
    if (!steps_[i]->geometric()) {
      x = steps_[i]->apply(std::move(x), random);
      continue;
    }
    // A crop after a pixel step works on the pixels at hand.
    ImagePlan later = ImagePlan::whole(x.size(2), x.size(1));
    steps_[i]->plan(later, random);
    const auto left = static_cast<std::int64_t>(std::lround(later.x0)),
               top = static_cast<std::int64_t>(std::lround(later.y0));
    const auto right = std::max(left + 1, static_cast<std::int64_t>(std::lround(later.x1))),
               bottom = std::max(top + 1, static_cast<std::int64_t>(std::lround(later.y1)));
    x = finish_plan(x.slice(1, top, bottom).slice(2, left, right), later);
  }
  return x.contiguous();
}

std::map<std::string, std::shared_ptr<const TransformPipeline>> TransformLists::build(const std::string& path) const {
  std::map<std::string, std::shared_ptr<const TransformPipeline>> out;
  for (const auto& [split, nodes] : by_split) {
    std::vector<std::shared_ptr<const Transform>> steps;
    for (std::size_t i = 0; i < nodes.size(); ++i)
      steps.push_back(transform_registry().create(nodes[i], fmt::format("{}.{}[{}]", path, split, i)));
    out[split] = std::make_shared<TransformPipeline>(std::move(steps));
  }
  return out;
}

TransformLists OptionTraits<TransformLists>::parse(const ConfigNode& node, const std::string& path) {
  TransformLists lists;
  if (node.is_null()) return lists;
  if (!node.is_map())
    config_fail(node, path, "expected a map from split name (train, test, ...) to a list of transforms; " +
                                choices_hint("", transform_registry().names()));
  for (const auto& entry : node.entries()) {
    const std::string split_path = path + "." + entry.key;
    auto& resolved = lists.by_split[entry.key];
    if (entry.value.is_null()) continue;
    if (!entry.value.is_sequence()) {
      resolved.push_back(transform_registry().resolve(entry.value, split_path));
      continue;
    }
    for (std::size_t i = 0; i < entry.value.items().size(); ++i)
      resolved.push_back(transform_registry().resolve(entry.value.items()[i], fmt::format("{}[{}]", split_path, i)));
  }
  return lists;
}

ConfigNode OptionTraits<TransformLists>::dump(const TransformLists& lists) {
  ConfigNode map = ConfigNode::map();
  for (const auto& [split, nodes] : lists.by_split) {
    ConfigNode seq = ConfigNode::sequence();
    for (const auto& n : nodes) seq.push_back(n);
    map.set(split, seq);
  }
  return map;
}

// ---- the built-in transforms ----

namespace {


/// Python's round(): halves to even (torchvision's boxes use it).
double python_round(double x) { return std::nearbyint(x); }

std::pair<std::int64_t, std::int64_t> square_or_pair(const std::vector<std::int64_t>& size) {
  return {size.at(0), size.size() > 1 ? size[1] : size[0]};  // (height, width)
}

void check_size_list(const std::vector<std::int64_t>& size, const char* owner) {
  if (size.empty() || size.size() > 2)
    throw ConfigError(fmt::format("{}: `size` takes one number or [height, width], got {} numbers", owner, size.size()));
}

struct ResizeOptions {
  std::vector<std::int64_t> size{256};
  std::int64_t max_size = 0;
  static void declare(OptionSet<ResizeOptions>& o) {
    o.add("size", &ResizeOptions::size, "one number: the shorter side, keeping the aspect ratio; [h, w]: exactly")
        .min(1);
    o.add("max_size", &ResizeOptions::max_size, "with one number: cap the longer side (0: no cap)").min(0);
  }
};

struct Resize : Transform {
  using Options = ResizeOptions;
  Options o;
  explicit Resize(Options options) : o(std::move(options)) { check_size_list(o.size, "resize"); }
  bool geometric() const override { return true; }
  void plan(ImagePlan& plan, ExampleRandom&) const override {
    if (o.size.size() == 2) return plan.resize(o.size[1], o.size[0]);
    // torchvision: the shorter side becomes `size`, the longer int(size * long / short).
    const std::int64_t w = plan.width, h = plan.height, shorter = std::min(w, h), longer = std::max(w, h);
    std::int64_t new_short = o.size[0], new_long = new_short * longer / shorter;
    if (o.max_size > 0 && new_long > o.max_size) {
      new_short = new_short * o.max_size / new_long;
      new_long = o.max_size;
    }
    if (w <= h) plan.resize(new_short, new_long);
    else plan.resize(new_long, new_short);
  }
};

struct CenterCropOptions {
  std::vector<std::int64_t> size{224};
  static void declare(OptionSet<CenterCropOptions>& o) {
    o.add("size", &CenterCropOptions::size, "one number (a square) or [h, w]").min(1);
  }
};

struct CenterCrop : Transform {
  using Options = CenterCropOptions;
  Options o;
  explicit CenterCrop(Options options) : o(std::move(options)) { check_size_list(o.size, "center_crop"); }
  bool geometric() const override { return true; }
  void plan(ImagePlan& plan, ExampleRandom&) const override {
    const auto [h, w] = square_or_pair(o.size);
    if (h > plan.height || w > plan.width)
      throw Error(fmt::format("center_crop {}x{} is larger than the image at that point ({}x{}); put a `resize` "
                              "before it",
                              w, h, plan.width, plan.height));
    plan.crop(python_round(static_cast<double>(plan.width - w) / 2.0), python_round(static_cast<double>(plan.height - h) / 2.0),
              static_cast<double>(w), static_cast<double>(h));
  }
};

struct RandomResizedCropOptions {
  std::vector<std::int64_t> size{224};
  std::vector<double> scale{0.08, 1.0};
  std::vector<double> ratio{3.0 / 4.0, 4.0 / 3.0};
  static void declare(OptionSet<RandomResizedCropOptions>& o) {
    using O = RandomResizedCropOptions;
    o.add("size", &O::size, "output: one number (a square) or [h, w]").min(1);
    o.add("scale", &O::scale, "[low, high]: the crop's share of the image's area").above(0.0);
    o.add("ratio", &O::ratio, "[low, high]: the crop's aspect ratio (width / height)").above(0.0);
  }
};

struct RandomResizedCrop : Transform {
  using Options = RandomResizedCropOptions;
  Options o;
  explicit RandomResizedCrop(Options options) : o(std::move(options)) {
    check_size_list(o.size, "random_resized_crop");
    if (o.scale.size() != 2 || o.scale[0] > o.scale[1] || o.ratio.size() != 2 || o.ratio[0] > o.ratio[1])
      throw ConfigError("random_resized_crop: `scale` and `ratio` are [low, high] with low <= high");
  }
  bool geometric() const override { return true; }
  void plan(ImagePlan& plan, ExampleRandom& random) const override {
    // torchvision's RandomResizedCrop.get_params: ten tries at a box of the
    // drawn area and aspect ratio that fits, else the centre at a clamped ratio.
    const double W = static_cast<double>(plan.width), H = static_cast<double>(plan.height), area = W * H;
    const double log_low = std::log(o.ratio[0]), log_high = std::log(o.ratio[1]);
    for (int attempt = 0; attempt < 10; ++attempt) {
      const double target_area = area * random.uniform(o.scale[0], o.scale[1]);
      const double aspect = std::exp(random.uniform(log_low, log_high));
      const double w = python_round(std::sqrt(target_area * aspect)), h = python_round(std::sqrt(target_area / aspect));
      if (w > 0 && w <= W && h > 0 && h <= H) {
        const double top = static_cast<double>(random.integer(0, static_cast<std::int64_t>(H - h)));
        const double left = static_cast<double>(random.integer(0, static_cast<std::int64_t>(W - w)));
        plan.crop(left, top, w, h);
        return resize_to_output(plan);
      }
    }
    double w = W, h = H;
    const double in_ratio = W / H;
    if (in_ratio < o.ratio[0]) h = python_round(w / o.ratio[0]);
    else if (in_ratio > o.ratio[1]) w = python_round(h * o.ratio[1]);
    plan.crop(std::floor((W - w) / 2), std::floor((H - h) / 2), w, h);
    resize_to_output(plan);
  }
  void resize_to_output(ImagePlan& plan) const {
    const auto [h, w] = square_or_pair(o.size);
    plan.resize(w, h);
  }
};

struct FlipOptions {
  double p = 0.5;
  static void declare(OptionSet<FlipOptions>& o) {
    o.add("p", &FlipOptions::p, "probability of flipping").min(0.0).max(1.0);
  }
};

struct HorizontalFlip : Transform {
  using Options = FlipOptions;
  Options o;
  explicit HorizontalFlip(Options options) : o(options) {}
  bool geometric() const override { return true; }
  void plan(ImagePlan& plan, ExampleRandom& random) const override {
    if (random.uniform() < o.p) plan.flip = !plan.flip;
  }
};

struct RandomCropOptions {
  std::int64_t padding = 4;
  static void declare(OptionSet<RandomCropOptions>& o) {
    o.add("padding", &RandomCropOptions::padding, "pad by this many zero pixels, crop back to the size at random")
        .min(0);
  }
};

/// The in-memory sets' `random_crop` (CIFAR's RandomCrop(size, padding)).
struct RandomCrop : Transform {
  using Options = RandomCropOptions;
  Options o;
  explicit RandomCrop(Options options) : o(options) {}
  torch::Tensor apply(torch::Tensor x, ExampleRandom& random) const override {
    const std::int64_t p = o.padding;
    if (p == 0) return x;
    const auto padded = torch::constant_pad_nd(x, {p, p, p, p}, 0);
    const std::int64_t top = random.integer(0, 2 * p), left = random.integer(0, 2 * p);
    return padded.slice(1, top, top + x.size(1)).slice(2, left, left + x.size(2));
  }
};

struct ColorJitterOptions {
  double brightness = 0.0, contrast = 0.0, saturation = 0.0, hue = 0.0;
  static void declare(OptionSet<ColorJitterOptions>& o) {
    using O = ColorJitterOptions;
    o.add("brightness", &O::brightness, "factor drawn from [max(0, 1 - b), 1 + b]").min(0.0);
    o.add("contrast", &O::contrast, "factor drawn from [max(0, 1 - c), 1 + c]").min(0.0);
    o.add("saturation", &O::saturation, "factor drawn from [max(0, 1 - s), 1 + s]").min(0.0);
    o.add("hue", &O::hue, "shift drawn from [-h, h] (of a full turn)").min(0.0).max(0.5);
  }
};

torch::Tensor grey_of(const torch::Tensor& x) {
  if (x.size(0) != 3) return x.mean(0, true);
  return (0.2989 * x[0] + 0.587 * x[1] + 0.114 * x[2]).unsqueeze(0);
}

torch::Tensor blend(const torch::Tensor& x, const torch::Tensor& other, double factor) {
  return (factor * x + (1.0 - factor) * other).clamp(0.0, 1.0);
}

/// torchvision's adjust_hue on tensors: RGB -> HSV, rotate H, back.
torch::Tensor shift_hue(const torch::Tensor& x, double shift) {
  const auto r = x[0], g = x[1], b = x[2];
  const auto maxc = std::get<0>(x.max(0)), minc = std::get<0>(x.min(0));
  const auto eqc = maxc == minc;
  const auto cr = maxc - minc;
  const auto ones = torch::ones_like(maxc);
  const auto s = cr / torch::where(eqc, ones, maxc);
  const auto cr_divisor = torch::where(eqc, ones, cr);
  const auto rc = (maxc - r) / cr_divisor, gc = (maxc - g) / cr_divisor, bc = (maxc - b) / cr_divisor;
  const auto hr = (maxc == r).to(x.dtype()) * (bc - gc);
  const auto hg = ((maxc == g) & (maxc != r)).to(x.dtype()) * (2.0 + rc - bc);
  const auto hb = ((maxc != g) & (maxc != r)).to(x.dtype()) * (4.0 + gc - rc);
  auto h = torch::fmod((hr + hg + hb) / 6.0 + 1.0, 1.0);
  h = torch::fmod(h + shift + 1.0, 1.0);
  const auto v = maxc;
  const auto i = torch::floor(h * 6.0);
  const auto f = h * 6.0 - i;
  const auto ii = i.to(torch::kInt64) % 6;
  const auto p = (v * (1.0 - s)).clamp(0.0, 1.0), q = (v * (1.0 - s * f)).clamp(0.0, 1.0),
             t = (v * (1.0 - s * (1.0 - f))).clamp(0.0, 1.0);
  const auto mask = ii.unsqueeze(0) == torch::arange(6).view({-1, 1, 1});
  const auto a1 = torch::stack({v, q, p, p, t, v}), a2 = torch::stack({t, v, v, q, p, p}),
             a3 = torch::stack({p, p, t, v, v, q});
  const auto m = mask.to(x.dtype());
  return torch::stack({(m * a1).sum(0), (m * a2).sum(0), (m * a3).sum(0)});
}

struct ColorJitter : Transform {
  using Options = ColorJitterOptions;
  Options o;
  explicit ColorJitter(Options options) : o(options) {}
  torch::Tensor apply(torch::Tensor x, ExampleRandom& random) const override {
    // torchvision: the four adjustments in a random order, each factor drawn once.
    int order[4] = {0, 1, 2, 3};
    for (int i = 3; i > 0; --i) std::swap(order[i], order[random.integer(0, i)]);
    auto factor = [&](double amount) { return random.uniform(std::max(0.0, 1.0 - amount), 1.0 + amount); };
    const double fb = o.brightness > 0 ? factor(o.brightness) : 1.0, fc = o.contrast > 0 ? factor(o.contrast) : 1.0,
                 fs = o.saturation > 0 ? factor(o.saturation) : 1.0, fh = o.hue > 0 ? random.uniform(-o.hue, o.hue) : 0.0;
    for (int op : order) {
      if (op == 0 && o.brightness > 0) x = (x * fb).clamp(0.0, 1.0);
      if (op == 1 && o.contrast > 0) x = blend(x, grey_of(x).mean(), fc);
      if (op == 2 && o.saturation > 0 && x.size(0) == 3) x = blend(x, grey_of(x), fs);
      if (op == 3 && o.hue > 0 && x.size(0) == 3) x = shift_hue(x, fh);
    }
    return x;
  }
};

struct NormalizeOptions {
  std::string preset = "imagenet";
  std::vector<double> mean, std;
  static void declare(OptionSet<NormalizeOptions>& o) {
    o.add("preset", &NormalizeOptions::preset, "imagenet: torchvision's ImageNet mean and std; custom: `mean`, `std`")
        .choices({"imagenet", "custom"});
    o.add("mean", &NormalizeOptions::mean, "per channel, with preset: custom");
    o.add("std", &NormalizeOptions::std, "per channel, with preset: custom").above(0.0);
  }
};

struct Normalize : Transform {
  using Options = NormalizeOptions;
  torch::Tensor mean, std;
  explicit Normalize(Options o) {
    if (o.preset == "imagenet") {
      if (!o.mean.empty() || !o.std.empty())
        throw ConfigError("normalize: `mean`/`std` go with `preset: custom`, not with preset imagenet");
      o.mean = kImageNetMean, o.std = kImageNetStd;
    } else if (o.mean.empty() || o.mean.size() != o.std.size()) {
      throw ConfigError(fmt::format("normalize: preset custom needs `mean` and `std` of one value per channel (got {} "
                                    "and {})",
                                    o.mean.size(), o.std.size()));
    }
    const auto channels = static_cast<std::int64_t>(o.mean.size());
    mean = torch::tensor(o.mean, torch::kFloat32).view({channels, 1, 1});
    std = torch::tensor(o.std, torch::kFloat32).view({channels, 1, 1});
  }
  torch::Tensor apply(torch::Tensor x, ExampleRandom&) const override {
    if (x.size(0) != mean.size(0))
      throw Error(fmt::format("normalize has {} channels of mean/std, the image has {}", mean.size(0), x.size(0)));
    return (x - mean) / std;
  }
};

struct GrayscaleOptions {
  std::int64_t channels = 1;
  double p = 1.0;
  static void declare(OptionSet<GrayscaleOptions>& o) {
    o.add("channels", &GrayscaleOptions::channels, "1, or 3 (the grey repeated)").min(1).max(3);
    o.add("p", &GrayscaleOptions::p,
          "probability of turning grey (torchvision's RandomGrayscale: p 0.1, channels 3, as DomainBed's)")
        .min(0.0)
        .max(1.0)
        .saved_unless_default();
  }
};

struct Grayscale : Transform {
  using Options = GrayscaleOptions;
  Options o;
  explicit Grayscale(Options options) : o(options) {}
  torch::Tensor apply(torch::Tensor x, ExampleRandom& random) const override {
    // p = 1 draws nothing, so pipelines written before `p` keep their randomness.
    if (o.p < 1.0 && !(random.uniform() < o.p)) return x;
    auto grey = grey_of(x);
    return o.channels == 1 ? grey : grey.expand({o.channels, -1, -1}).contiguous();
  }
};

}  // namespace

GRAFT_REGISTER_TRANSFORM(Resize, "resize", "resize: the shorter side to `size` (torchvision's Resize), or to [h, w]");
GRAFT_REGISTER_TRANSFORM(CenterCrop, "center_crop", "crop the centre (torchvision's CenterCrop)");
GRAFT_REGISTER_TRANSFORM(RandomResizedCrop, "random_resized_crop",
                         "a random box of random area and aspect ratio, resized (torchvision's RandomResizedCrop)");
GRAFT_REGISTER_TRANSFORM(HorizontalFlip, "horizontal_flip", "flip left-right with probability p");
GRAFT_REGISTER_TRANSFORM(RandomCrop, "random_crop", "pad with zeros and crop back at a random offset");
GRAFT_REGISTER_TRANSFORM(ColorJitter, "color_jitter", "random brightness, contrast, saturation and hue (torchvision's)");
GRAFT_REGISTER_TRANSFORM(Normalize, "normalize", "subtract the per-channel mean, divide by the std");
GRAFT_REGISTER_TRANSFORM(Grayscale, "grayscale",
                         "to grey (ITU-R 601-2 luma, as torchvision), always or with probability p");

}  // namespace graft
