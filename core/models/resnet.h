#pragma once
// ResNet-18/34/50/101 (He et al. 2016) with torchvision's structure and
// parameter names (conv1, bn1, layer1.0.conv1, layer1.0.downsample.0, ...),
// so torchvision's state dicts load as they are. The backbone ends at the
// global average pool: [B, 512] (18, 34) or [B, 2048] (50, 101); the method
// adds its own head where torchvision has `fc`.
//
//   model: {name: resnet50, weights: resnet50-0676ba61.pth}     # torchvision's ImageNet weights
//   model: {name: resnet18, stem: cifar}                         # 3x3 stem, no max-pool: 32 px inputs

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/model.h"
#include "core/options.h"

namespace graft {

struct ResNetOptions {
  std::string stem = "imagenet";  ///< imagenet: 7x7/2 conv + 3x3/2 max-pool; cifar: 3x3/1 conv, no pool
  std::string weights;            ///< a torchvision state dict (.pth) to start from
  bool frozen_bn = false;         ///< BatchNorm statistics fixed: always in eval mode (DomainBed's featurizer)
  bool frozen_bn_affine = false;  ///< BatchNorm's scale and shift fixed too (not trained)
  double dropout = 0.0;           ///< on the pooled features while training (DomainBed's resnet_dropout)
  bool channels_last = false;     ///< channels-last convolutions (oneDNN's NHWC kernels)
  std::string if_missing;         ///< added to the error when `weights` is not there: how to get the file
  static void declare(OptionSet<ResNetOptions>& o);
};

/// The parameters and buffers of a state dict saved by PyTorch's torch.save
/// (its zip format), by name. An error names the file and says how to re-save
/// a legacy (pre-1.6) file.
std::vector<std::pair<std::string, torch::Tensor>> read_torch_state_dict(const std::string& path);

class ResNet : public Backbone {
 public:
  using Options = ResNetOptions;
  ResNet(std::int64_t depth, const Options& options, const ModelContext& ctx);
  torch::Tensor forward(const torch::Tensor& inputs) override;
  std::int64_t feature_dim() const override { return feature_dim_; }
  /// Copies a torchvision state dict in: every parameter and buffer must be
  /// there with its shape; `fc.*` (torchvision's classifier) is left out.
  void load_torchvision(const std::string& path);
  /// With frozen_bn, BatchNorm stays in eval mode (its running statistics
  /// fixed) whatever mode the rest is in; its scale and shift still train
  /// unless frozen_bn_affine (DomainBed's freeze_bn keeps them in the optimizer).
  void train(bool on = true) override;
  std::string weights_file() const override { return weights_; }

 private:
  bool cifar_stem_;
  bool frozen_bn_;
  bool frozen_bn_affine_;
  double dropout_;
  bool channels_last_;
  std::string weights_;
  std::int64_t feature_dim_ = 0;
  torch::nn::Conv2d conv1_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr};
  std::vector<torch::nn::Sequential> layers_;
};

}  // namespace graft
