// The digit-sized convolutional backbones (core/models/lenet.cpp).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/config.h"
#include "core/model.h"
#include "core/registries.h"

namespace graft {
namespace {

std::shared_ptr<Backbone> make_lenet(const std::string& yaml) {
  return model_registry().create(parse_config_text(yaml, "t"), "model", ModelContext{{3, 28, 28}});
}

// The channels-last layout is a speed option only: the same weights give the
// same features and gradients, in the same order, as the default layout.
TEST(DannMnistNet, ChannelsLastGivesTheSameFeaturesAndGradients) {
  torch::manual_seed(0);
  auto plain = make_lenet("{name: dann_mnist}");
  torch::manual_seed(0);
  auto fast = make_lenet("{name: dann_mnist, channels_last: true}");
  EXPECT_EQ(plain->feature_dim(), 768);
  const auto x = torch::randn({4, 3, 28, 28});
  const auto a = plain->forward(x);
  const auto b = fast->forward(x);
  ASSERT_EQ(a.sizes(), b.sizes());
  EXPECT_TRUE(torch::allclose(a, b, 1e-5, 1e-5)) << (a - b).abs().max().item<float>();
  a.sum().backward();
  b.sum().backward();
  const auto pa = plain->named_parameters(), pb = fast->named_parameters();
  for (const auto& item : pa)
    EXPECT_TRUE(torch::allclose(item.value().grad(), pb[item.key()].grad(), 1e-4, 1e-5)) << item.key();
}

}  // namespace
}  // namespace graft
