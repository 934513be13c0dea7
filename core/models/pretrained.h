#pragma once
// Pretrained backbones: graft's own checkpoints and TorchScript modules.

#include <string>

#include <torch/torch.h>

namespace graft {

/// Copies the parameters and buffers saved by Module::save from `archive`
/// into `module`, checking every name and shape. Throws graft::Error naming
/// each missing or mismatched parameter; `origin` says where they came from.
void load_module_checked(torch::nn::Module& module, torch::serialize::InputArchive& archive, const std::string& origin);

}  // namespace graft
