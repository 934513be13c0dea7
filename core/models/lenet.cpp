// Small convolutional backbones for 28x28 digit-sized images.
#include <fmt/format.h>

#include "core/error.h"
#include "core/model.h"
#include "core/models/pooling.h"
#include "core/registries.h"

namespace graft {
namespace {

/// Output size of the conv/pool stack below for an input of `side` pixels.
std::int64_t after(std::int64_t side, std::int64_t kernel, std::int64_t pool) { return (side - kernel + 1) / pool; }

void check_image_input(const ModelContext& ctx, const char* model) {
  GRAFT_CHECK(ctx.input_shape.size() == 3 && ctx.input_shape[1] >= 16 && ctx.input_shape[2] >= 16, fmt::format("model '{}'", model),
              "expects images [channels, height, width] of at least 16x16, got [{}]", fmt::join(ctx.input_shape, ", "));
}

struct DannMnistOptions {
  bool channels_last = false;
  static void declare(OptionSet<DannMnistOptions>& o) {
    o.add("channels_last", &DannMnistOptions::channels_last,
          "channels-last convolutions (oneDNN's NHWC kernels on the CPU; about as fast as the default here since "
          "graft pools with its own kernel; numbers differ in the last digits from the default layout)");
  }
};

/// The MNIST network of Ganin et al. (JMLR 2016, sec. 5.2.2 / fig. 4):
/// conv5x5-32, max-pool 2x2, conv5x5-48, max-pool 2x2 (ReLU after each conv).
/// The label predictor (fc100-fc100-fc10) and domain classifier (fc100-fc1)
/// are the method's heads: `head_hidden: [100, 100]`, `domain_hidden: [100]`.
class DannMnistNet : public Backbone {
 public:
  using Options = DannMnistOptions;
  DannMnistNet(Options o, const ModelContext& ctx) : channels_last_(o.channels_last) {
    check_image_input(ctx, "dann_mnist");
    conv1_ = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(ctx.input_shape[0], 32, 5)));
    conv2_ = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 48, 5)));
    feature_dim_ = 48 * after(after(ctx.input_shape[1], 5, 2), 5, 2) * after(after(ctx.input_shape[2], 5, 2), 5, 2);
    // Channels-last weights and activations send the convolutions to
    // oneDNN's NHWC kernels. Off by default: the published tables were run
    // without it, the other kernels round differently, and with graft's own
    // pooling (pooling.h) the default layout is about as fast.
    if (channels_last_)
      for (auto* conv : {&conv1_, &conv2_}) {
        torch::NoGradGuard no_grad;
        (*conv)->weight.set_data((*conv)->weight.contiguous(torch::MemoryFormat::ChannelsLast));
      }
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    const auto input = channels_last_ ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x;
    // The paper's ReLU-then-pool, computed as pool-then-ReLU: max and ReLU
    // commute, values and gradients are identical, and ReLU sees a quarter
    // of the elements.
    auto h = torch::relu(max_pool_2x2(conv1_->forward(input)));
    h = torch::relu(max_pool_2x2(conv2_->forward(h)));
    // NCHW order before flattening: the heads see the same feature order either way.
    return h.contiguous().flatten(1);
  }
  std::int64_t feature_dim() const override { return feature_dim_; }

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  std::int64_t feature_dim_ = 0;
  bool channels_last_ = false;
};

struct LeNetOptions {
  std::int64_t features = 50;
  static void declare(OptionSet<LeNetOptions>& o) {
    o.add("features", &LeNetOptions::features, "width of the final fully connected layer").min(1);
  }
};

/// The shared LeNet of Sener & Koltun (2018) for MultiMNIST: conv5x5-10,
/// max-pool, ReLU, conv5x5-20, max-pool, ReLU, fc50, ReLU.
class LeNet : public Backbone {
 public:
  using Options = LeNetOptions;
  LeNet(Options o, const ModelContext& ctx) {
    check_image_input(ctx, "lenet");
    conv1_ = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(ctx.input_shape[0], 10, 5)));
    conv2_ = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(10, 20, 5)));
    const std::int64_t flat = 20 * after(after(ctx.input_shape[1], 5, 2), 5, 2) * after(after(ctx.input_shape[2], 5, 2), 5, 2);
    fc_ = register_module("fc", torch::nn::Linear(flat, o.features));
    feature_dim_ = o.features;
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    auto h = torch::relu(max_pool_2x2(conv1_->forward(x)));
    h = torch::relu(max_pool_2x2(conv2_->forward(h)));
    return torch::relu(fc_->forward(h.flatten(1)));
  }
  std::int64_t feature_dim() const override { return feature_dim_; }

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::Linear fc_{nullptr};
  std::int64_t feature_dim_ = 0;
};

}  // namespace

GRAFT_REGISTER_MODEL(DannMnistNet, "dann_mnist", "the MNIST feature extractor of Ganin et al. 2016 (conv32-conv48)");
GRAFT_REGISTER_MODEL(LeNet, "lenet", "the shared LeNet of Sener & Koltun 2018 (conv10-conv20-fc50)");

}  // namespace graft
