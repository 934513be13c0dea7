#pragma once
// Models: backbones from the model registry, and the small heads strategies
// put on top of them.

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace graft {

/// What a model factory gets besides its options.
struct ModelContext {
  std::vector<std::int64_t> input_shape;  ///< shape of one example, without the batch
};

/// A feature extractor: inputs [B, ...] -> features [B, feature_dim()].
class Backbone : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& inputs) = 0;
  virtual std::int64_t feature_dim() const = 0;
  /// The file its parameters started from (pretrained weights, a checkpoint,
  /// a TorchScript module); empty for a random initialisation. The run record
  /// names it with its sha256.
  virtual std::string weights_file() const { return {}; }
};

/// An MLP head: Linear layers of `hidden` widths with `activation`, then a
/// Linear to `outputs`. `hidden` empty gives a single Linear layer. With
/// `batch_norm`, each hidden Linear is followed by BatchNorm1d before the
/// activation (TLlib's domain discriminator).
torch::nn::Sequential make_mlp_head(std::int64_t inputs, const std::vector<std::int64_t>& hidden, std::int64_t outputs,
                                    const std::string& activation = "relu", double dropout = 0.0,
                                    bool batch_norm = false);

/// TLlib's bottleneck between a backbone and its heads: Linear(inputs,
/// width), BatchNorm1d(width), ReLU. The heads and the alignment terms then
/// see its `width` features.
torch::nn::Sequential make_bottleneck(std::int64_t inputs, std::int64_t width);

/// Names accepted by make_mlp_head's `activation`.
const std::vector<std::string>& activation_names();

}  // namespace graft
