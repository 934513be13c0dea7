#pragma once
// Pooling for graft's convolutional backbones.

#include <torch/torch.h>

namespace graft {

/// Max pooling over 2x2 windows with stride 2 (floor mode): the values and
/// gradients of torch::max_pool2d(x, 2), bit for bit (the same window scan,
/// the same choice among ties and NaNs), computed by graft's own kernel for
/// contiguous NCHW float tensors on the CPU. libtorch 1.13's kernel for that
/// layout is scalar and zero-fills the whole input gradient before scattering
/// into it (README, "Scale and speed", has the step rates before and after).
/// Any other input (CUDA,
/// channels-last, other dtypes) goes to torch::max_pool2d.
torch::Tensor max_pool_2x2(const torch::Tensor& x);

}  // namespace graft
