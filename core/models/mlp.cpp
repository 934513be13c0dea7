// The MLP backbone, and the head builder every strategy uses.
#include <fmt/format.h>

#include "core/error.h"
#include "core/model.h"
#include "core/registries.h"

namespace graft {

const std::vector<std::string>& activation_names() {
  static const std::vector<std::string> names{"relu", "tanh", "sigmoid"};
  return names;
}

namespace {
void append_activation(torch::nn::Sequential& seq, const std::string& activation) {
  if (activation == "relu")
    seq->push_back(torch::nn::ReLU());
  else if (activation == "tanh")
    seq->push_back(torch::nn::Tanh());
  else if (activation == "sigmoid")
    seq->push_back(torch::nn::Sigmoid());
  else
    throw Error(fmt::format("unknown activation '{}'; {}", activation, choices_hint(activation, activation_names())));
}
}  // namespace

torch::nn::Sequential make_mlp_head(std::int64_t inputs, const std::vector<std::int64_t>& hidden, std::int64_t outputs,
                                    const std::string& activation, double dropout, bool batch_norm) {
  torch::nn::Sequential seq;
  std::int64_t width = inputs;
  for (std::int64_t h : hidden) {
    seq->push_back(torch::nn::Linear(width, h));
    if (batch_norm) seq->push_back(torch::nn::BatchNorm1d(h));
    append_activation(seq, activation);
    if (dropout > 0) seq->push_back(torch::nn::Dropout(dropout));
    width = h;
  }
  seq->push_back(torch::nn::Linear(width, outputs));
  return seq;
}

torch::nn::Sequential make_bottleneck(std::int64_t inputs, std::int64_t width) {
  return torch::nn::Sequential(torch::nn::Linear(inputs, width), torch::nn::BatchNorm1d(width), torch::nn::ReLU());
}

namespace {

struct MlpOptions {
  std::vector<std::int64_t> hidden{15};
  std::string activation = "relu";
  double dropout = 0.0;
  static void declare(OptionSet<MlpOptions>& o) {
    o.add("hidden", &MlpOptions::hidden, "widths of the hidden layers; the last is the feature size").min(1);
    o.add("activation", &MlpOptions::activation, "non-linearity after each hidden layer").choices(activation_names());
    o.add("dropout", &MlpOptions::dropout, "dropout after each activation").min(0.0).max(0.95);
  }
};

/// Flattens its input and applies Linear+activation per hidden width.
class Mlp : public Backbone {
 public:
  using Options = MlpOptions;
  Mlp(Options o, const ModelContext& ctx) {
    GRAFT_CHECK(!o.hidden.empty(), "model 'mlp'", "hidden needs at least one width (the feature layer)");
    std::int64_t width = 1;
    for (std::int64_t d : ctx.input_shape) width *= d;
    for (std::int64_t h : o.hidden) {
      layers_->push_back(torch::nn::Linear(width, h));
      append_activation(layers_, o.activation);
      if (o.dropout > 0) layers_->push_back(torch::nn::Dropout(o.dropout));
      width = h;
    }
    feature_dim_ = width;
    register_module("layers", layers_);
  }
  torch::Tensor forward(const torch::Tensor& inputs) override { return layers_->forward(inputs.flatten(1)); }
  std::int64_t feature_dim() const override { return feature_dim_; }

 private:
  torch::nn::Sequential layers_;
  std::int64_t feature_dim_ = 0;
};

}  // namespace

GRAFT_REGISTER_MODEL(Mlp, "mlp", "fully connected feature extractor (flattens its input)");

}  // namespace graft
