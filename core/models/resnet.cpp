#include "core/models/resnet.h"

#include <fstream>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "core/registries.h"

namespace graft {

void ResNetOptions::declare(OptionSet<ResNetOptions>& o) {
  o.add("stem", &ResNetOptions::stem,
        "imagenet: 7x7 stride-2 conv and 3x3 stride-2 max-pool (torchvision); cifar: one 3x3 stride-1 conv, no "
        "max-pool, for 32 px inputs")
      .choices({"imagenet", "cifar"});
  o.add("weights", &ResNetOptions::weights,
        "torchvision's state dict to start from (resnet50-0676ba61.pth, ...; README, \"ResNets\")")
      .path(PathKind::file);
  o.add("if_missing", &ResNetOptions::if_missing,
        "what a missing weights file is and how to make it (shown in the error; not saved with the run)")
      .not_saved();
  o.missing_path_hint(&ResNetOptions::if_missing);
  o.add("frozen_bn", &ResNetOptions::frozen_bn,
        "BatchNorm's running statistics fixed at their initial (or loaded) values: always in eval mode, as "
        "DomainBed's featurizer (its scale and shift still train)");
  o.add("frozen_bn_affine", &ResNetOptions::frozen_bn_affine,
        "BatchNorm's scale and shift fixed too (not trained)")
      .saved_unless_default();
  o.add("dropout", &ResNetOptions::dropout, "dropout on the pooled features while training (DomainBed: 0, 0.1, 0.5)")
      .min(0.0)
      .max(0.99);
  o.add("channels_last", &ResNetOptions::channels_last,
        "channels-last convolutions (oneDNN's NHWC kernels; numbers differ in the last digits from the default)");
}

namespace {

namespace nn = torch::nn;

nn::Conv2d conv(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

/// torchvision's BasicBlock (18, 34) and Bottleneck (50, 101; the stride on
/// the 3x3 conv, "ResNet v1.5"), with the same child names.
class Block : public nn::Module {
 public:
  Block(std::int64_t in, std::int64_t planes, std::int64_t stride, bool bottleneck) : bottleneck_(bottleneck) {
    const std::int64_t out = planes * (bottleneck ? 4 : 1);
    if (bottleneck) {
      conv1_ = register_module("conv1", conv(in, planes, 1, 1));
      bn1_ = register_module("bn1", nn::BatchNorm2d(planes));
      conv2_ = register_module("conv2", conv(planes, planes, 3, stride));
      bn2_ = register_module("bn2", nn::BatchNorm2d(planes));
      conv3_ = register_module("conv3", conv(planes, out, 1, 1));
      bn3_ = register_module("bn3", nn::BatchNorm2d(out));
    } else {
      conv1_ = register_module("conv1", conv(in, planes, 3, stride));
      bn1_ = register_module("bn1", nn::BatchNorm2d(planes));
      conv2_ = register_module("conv2", conv(planes, planes, 3, 1));
      bn2_ = register_module("bn2", nn::BatchNorm2d(planes));
    }
    if (stride != 1 || in != out)
      downsample_ = register_module("downsample", nn::Sequential(conv(in, out, 1, stride), nn::BatchNorm2d(out)));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    // In-place ReLUs and sum, as torchvision's blocks: the same values, and
    // no fresh activation-sized tensor each time (at 224 px those are the
    // step's largest allocations, page-faulted in anew).
    auto h = bn1_->forward(conv1_->forward(x)).relu_();
    h = bn2_->forward(conv2_->forward(h));
    if (bottleneck_) h = bn3_->forward(conv3_->forward(h.relu_()));
    h += downsample_ ? downsample_->forward(x) : x;
    return h.relu_();
  }

 private:
  bool bottleneck_;
  nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr};
  nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr}, bn3_{nullptr};
  nn::Sequential downsample_{nullptr};
};

struct Architecture {
  std::vector<std::int64_t> blocks;
  bool bottleneck;
};

Architecture architecture(std::int64_t depth) {
  switch (depth) {
    case 18: return {{2, 2, 2, 2}, false};
    case 34: return {{3, 4, 6, 3}, false};
    case 50: return {{3, 4, 6, 3}, true};
    case 101: return {{3, 4, 23, 3}, true};
    default: throw Error(fmt::format("no ResNet-{}; graft has 18, 34, 50 and 101", depth));
  }
}

}  // namespace

std::vector<std::pair<std::string, torch::Tensor>> read_torch_state_dict(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open", path));
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
  // torchvision's own files are OrderedDicts (which libtorch's unpickler
  // reads as None) or in PyTorch's legacy format: both convert once.
  const std::string convert = fmt::format(
      "; convert it once with Debian's python3-torch: /usr/bin/python3 third_party/torchvision_weights.py {} OUT.pth",
      path);
  c10::IValue value;
  try {
    value = torch::pickle_load(bytes);
  } catch (const std::exception& e) {
    throw Error(fmt::format("{}: not a state dict graft can read ({}){}", path, library_message(e), convert));
  }
  if (!value.isGenericDict())
    throw Error(fmt::format("{}: holds {}, not a plain dict of tensors{}", path,
                            value.isNone() ? "an OrderedDict (as torchvision's weights do)" : value.tagKind(), convert));
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& entry : value.toGenericDict()) {
    if (!entry.key().isString() || !entry.value().isTensor())
      throw Error(fmt::format("{}: a state dict maps names to tensors; this one holds a {} -> {}", path,
                              entry.key().tagKind(), entry.value().tagKind()));
    out.emplace_back(entry.key().toStringRef(), entry.value().toTensor());
  }
  return out;
}

ResNet::ResNet(std::int64_t depth, const Options& o, const ModelContext& ctx)
    : cifar_stem_(o.stem == "cifar"), frozen_bn_(o.frozen_bn), frozen_bn_affine_(o.frozen_bn_affine), dropout_(o.dropout), channels_last_(o.channels_last) {
  GRAFT_CHECK(ctx.input_shape.size() == 3 && ctx.input_shape[0] == 3 && ctx.input_shape[1] >= 16 &&
                  ctx.input_shape[2] >= 16,
              fmt::format("model 'resnet{}'", depth),
              "expects colour images [3, height, width] of at least 16 x 16, got [{}]; give the data set "
              "`transforms:` that make them (or `channels: 3`)",
              fmt::join(ctx.input_shape, ", "));
  const Architecture arch = architecture(depth);
  conv1_ = register_module("conv1", cifar_stem_ ? conv(3, 64, 3, 1) : conv(3, 64, 7, 2));
  bn1_ = register_module("bn1", nn::BatchNorm2d(64));
  std::int64_t in = 64;
  for (std::size_t i = 0; i < arch.blocks.size(); ++i) {
    const std::int64_t planes = 64 << i;
    nn::Sequential layer;
    for (std::int64_t b = 0; b < arch.blocks[i]; ++b) {
      layer->push_back(std::make_shared<Block>(in, planes, b == 0 && i > 0 ? 2 : 1, arch.bottleneck));
      in = planes * (arch.bottleneck ? 4 : 1);
    }
    layers_.push_back(register_module(fmt::format("layer{}", i + 1), layer));
  }
  feature_dim_ = in;
  // torchvision's initialisation: He (fan-out) for convolutions, BN scale 1 and shift 0.
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* c = module->as<nn::Conv2d>())
      nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
    else if (auto* b = module->as<nn::BatchNorm2d>()) {
      nn::init::ones_(b->weight);
      nn::init::zeros_(b->bias);
    }
  }
  if (!o.weights.empty()) {
    load_torchvision(o.weights);
    weights_ = o.weights;
  }
  torch::NoGradGuard no_grad;
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* b = module->as<nn::BatchNorm2d>(); b && frozen_bn_affine_) {
      b->weight.requires_grad_(false);
      b->bias.requires_grad_(false);
    }
    if (auto* c = module->as<nn::Conv2d>(); c && channels_last_)
      c->weight.set_data(c->weight.contiguous(torch::MemoryFormat::ChannelsLast));
  }
  train(is_training());
}

void ResNet::train(bool on) {
  Backbone::train(on);
  if (!frozen_bn_) return;
  for (auto& module : modules(/*include_self=*/false))
    if (auto* b = module->as<nn::BatchNorm2d>()) b->eval();
}

torch::Tensor ResNet::forward(const torch::Tensor& x) {
  const auto input = channels_last_ ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x;
  auto h = bn1_->forward(conv1_->forward(input)).relu_();
  if (!cifar_stem_) h = torch::max_pool2d(h, 3, 2, 1);
  for (auto& layer : layers_) h = layer->forward(h);
  const auto features = torch::adaptive_avg_pool2d(h, {1, 1}).flatten(1);  // torchvision's avgpool and flatten
  return dropout_ > 0 ? torch::dropout(features, dropout_, is_training()) : features;
}

void ResNet::load_torchvision(const std::string& path) {
  std::map<std::string, torch::Tensor> saved;
  for (auto& [name, tensor] : read_torch_state_dict(path))
    if (name.rfind("fc.", 0) != 0) saved.emplace(name, tensor);  // torchvision's classifier: the method's head replaces it
  std::vector<std::string> missing, mismatched;
  torch::NoGradGuard no_grad;
  auto copy = [&](const std::string& name, torch::Tensor& target) {
    auto it = saved.find(name);
    if (it == saved.end()) return missing.push_back(name);
    if (!it->second.sizes().equals(target.sizes()))
      mismatched.push_back(fmt::format("{} [{}] where the model has [{}]", name, fmt::join(it->second.sizes(), ", "),
                                       fmt::join(target.sizes(), ", ")));
    else
      target.copy_(it->second);
    saved.erase(it);
  };
  for (auto& p : named_parameters()) copy(p.key(), p.value());
  for (auto& b : named_buffers()) copy(b.key(), b.value());
  if (!missing.empty() || !mismatched.empty() || !saved.empty())
    throw Error(fmt::format("{}: not the weights of this ResNet:{}{}{}", path,
                            missing.empty() ? "" : fmt::format(" missing {}", fmt::join(missing, ", ")),
                            mismatched.empty() ? "" : fmt::format(" shapes differ: {}", fmt::join(mismatched, "; ")),
                            saved.empty() ? "" : fmt::format(" not in the model: {}", fmt::join(keys_of(saved), ", "))));
}

namespace {
template <std::int64_t Depth>
struct ResNetOf : ResNet {
  using Options = ResNetOptions;
  ResNetOf(Options o, const ModelContext& ctx) : ResNet(Depth, o, ctx) {}
};
}  // namespace

GRAFT_REGISTER_MODEL(ResNetOf<18>, "resnet18", "ResNet-18, torchvision's structure and names (512 features)");
GRAFT_REGISTER_MODEL(ResNetOf<34>, "resnet34", "ResNet-34, torchvision's structure and names (512 features)");
GRAFT_REGISTER_MODEL(ResNetOf<50>, "resnet50", "ResNet-50 (v1.5), torchvision's structure and names (2048 features)");
GRAFT_REGISTER_MODEL(ResNetOf<101>, "resnet101", "ResNet-101 (v1.5), torchvision's structure and names (2048 features)");

}  // namespace graft
