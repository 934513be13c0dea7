#include "core/models/resnet.h"

#include <cstdlib>
#include <map>

#include <gtest/gtest.h>

#include "core/config.h"
#include "core/error.h"
#include "core/registries.h"
#include "tests/test_util.h"

namespace graft {
namespace {

using testing::TempDir;

/// torchvision's resnet18, 34, 50 and 101 at random initialisation (BN
/// statistics and affine parameters drawn away from 0 and 1, so that train and
/// eval mode differ), their state dicts, and their features and parameter
/// gradients on one input, from Debian's python3-torchvision 0.14 on the same
/// libtorch 1.13.
bool export_references(const TempDir& dir) {
  const std::string script = dir.write("reference.py", R"(import sys, torch, torchvision
out = sys.argv[1]
# The thread count of the graft side: train-mode BatchNorm over a batch of two
# reduces in another order on another count, and its gradients move by ~1%.
torch.set_num_threads(int(sys.argv[2]))
for arch in ["resnet18", "resnet34", "resnet50", "resnet101"]:
    torch.manual_seed(0)
    m = getattr(torchvision.models, arch)()
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.2, 0.2)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
    torch.save(m.state_dict(), f"{out}/{arch}_torchvision.pth")  # an OrderedDict, as torchvision's files
    m.fc = torch.nn.Identity()
    x = torch.randn(2, 3, 64, 64)
    m.eval()
    with torch.no_grad():
        eval_features = m(x)
    m.train()
    features = m(x)
    w = torch.randn_like(features)
    (features * w).sum().backward()
    ref = {"x": x, "w": w, "eval": eval_features, "train": features.detach()}
    for name, p in m.named_parameters():
        ref["grad." + name] = p.grad
    for name, b in m.named_buffers():
        ref["after." + name] = b
    torch.save(ref, f"{out}/{arch}_ref.pt")
)");
  // The documented conversion of torchvision's files (README, "ResNets").
  const std::string convert = testing::source_dir() + "/third_party/torchvision_weights.py ";
  std::string command =
      "/usr/bin/python3 " + script + " " + dir.path() + " " + std::to_string(torch::get_num_threads());
  for (const std::string arch : {"resnet18", "resnet34", "resnet50", "resnet101"})
    command += " && /usr/bin/python3 " + convert + dir.file(arch + "_torchvision.pth") + " " + dir.file(arch + ".pth") +
               " >/dev/null";
  if (std::system(command.c_str()) != 0) {
    ADD_FAILURE() << "the reference run with /usr/bin/python3 failed: the tests need Debian's python3-torchvision "
                     "(third_party/install-debian-packages.sh installs it)";
    return false;
  }
  return true;
}

/// max |a - b| / max |b|: 1e-5 is agreement to the last digits of float32.
double relative_error(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).abs().max() / b.abs().max().clamp_min(1e-12)).item<double>();
}

TEST(ResNet, GivesTorchvisionsFeaturesAndGradientsOnItsWeights) {
  TempDir dir;
  ASSERT_TRUE(export_references(dir));
  // torchvision's parameters less fc's two, and the feature width.
  const std::map<std::string, std::pair<std::size_t, std::int64_t>> shape{
      {"resnet18", {60, 512}}, {"resnet34", {108, 512}}, {"resnet50", {159, 2048}}, {"resnet101", {312, 2048}}};
  for (const auto& [arch, expected] : shape) {
    SCOPED_TRACE(arch);
    std::map<std::string, torch::Tensor> ref;
    for (auto& [name, t] : read_torch_state_dict(dir.file(arch + "_ref.pt"))) ref[name] = t;
    auto model = model_registry().create(parse_config_text("{name: " + arch + ", weights: " + dir.file(arch + ".pth") + "}", "test"),
                                         "model", ModelContext{{3, 64, 64}});
    EXPECT_EQ(model->feature_dim(), expected.second);
    model->eval();
    {
      torch::NoGradGuard no_grad;
      EXPECT_LT(relative_error(model->forward(ref.at("x")), ref.at("eval")), 1e-5);
    }
    model->train();
    const auto features = model->forward(ref.at("x"));
    EXPECT_LT(relative_error(features, ref.at("train")), 1e-5);
    (features * ref.at("w")).sum().backward();
    std::size_t compared = 0;
    for (const auto& p : model->named_parameters()) {
      ASSERT_TRUE(p.value().grad().defined()) << p.key();
      EXPECT_LT(relative_error(p.value().grad(), ref.at("grad." + p.key())), 1e-5) << p.key();
      ++compared;
    }
    EXPECT_EQ(compared, expected.first);
    // Train mode updated the BN statistics as torchvision's did.
    for (const auto& b : model->named_buffers()) {
      if (b.key().find("num_batches") != std::string::npos) continue;
      EXPECT_LT(relative_error(b.value(), ref.at("after." + b.key())), 1e-5) << b.key();
    }
  }
}

TEST(ResNet, WrongWeightsAndInputsGetClearErrors) {
  TempDir dir;
  ASSERT_TRUE(export_references(dir));
  // ResNet-50's weights in a ResNet-18.
  const auto wrong = [&] {
    try {
      model_registry().create(parse_config_text("{name: resnet18, weights: " + dir.file("resnet50.pth") + "}", "t"),
                              "model", ModelContext{{3, 32, 32}});
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  }();
  EXPECT_NE(wrong.find("resnet50.pth: not the weights of this ResNet"), std::string::npos) << wrong;
  EXPECT_NE(wrong.find("layer1.0.conv3.weight"), std::string::npos) << wrong;  // one it does not have
  // torchvision's file as it comes: the error says how to convert it.
  try {
    read_torch_state_dict(dir.file("resnet18_torchvision.pth"));
    ADD_FAILURE() << "an OrderedDict must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("third_party/torchvision_weights.py"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_torch_state_dict(dir.write("legacy.pth", "not a zip archive")), Error);
  EXPECT_THROW(model_registry().create(parse_config_text("{name: resnet18}", "t"), "model", ModelContext{{1, 28, 28}}),
               Error);
  // The CIFAR stem keeps 32 px: no stride-2 stem, no max-pool.
  auto cifar = model_registry().create(parse_config_text("{name: resnet18, stem: cifar}", "t"), "model",
                                       ModelContext{{3, 32, 32}});
  EXPECT_EQ(cifar->forward(torch::zeros({1, 3, 32, 32})).sizes(), (std::vector<std::int64_t>{1, 512}));
}

TEST(ResNet, FrozenBatchNormAndDropoutAsDomainBedsFeaturizer) {
  auto make = [](const std::string& options) {
    return model_registry().create(parse_config_text("{name: resnet18, stem: cifar" + options + "}", "t"), "model",
                                   ModelContext{{3, 32, 32}});
  };
  torch::manual_seed(0);
  auto frozen = make(", frozen_bn: true, dropout: 0.5");
  frozen->train();
  const auto before = frozen->named_buffers()["bn1.running_mean"].clone();
  const auto x = torch::randn({4, 3, 32, 32});
  const auto a = frozen->forward(x), b = frozen->forward(x);
  EXPECT_TRUE(torch::equal(frozen->named_buffers()["bn1.running_mean"], before));  // statistics fixed in train mode
  // DomainBed's freeze_bn keeps BatchNorm's scale and shift in the optimizer; frozen_bn_affine fixes them too.
  EXPECT_TRUE(frozen->named_parameters()["bn1.weight"].requires_grad());
  EXPECT_TRUE(frozen->named_parameters()["conv1.weight"].requires_grad());
  EXPECT_FALSE(make(", frozen_bn: true, frozen_bn_affine: true")->named_parameters()["bn1.weight"].requires_grad());
  EXPECT_FALSE(torch::equal(a, b));  // dropout while training
  frozen->eval();
  EXPECT_TRUE(torch::equal(frozen->forward(x), frozen->forward(x)));
  auto plain = make("");
  plain->train();
  plain->forward(x);
  EXPECT_FALSE(torch::equal(plain->named_buffers()["bn1.running_mean"], before));
  // Channels-last convolutions: the same features up to rounding.
  torch::manual_seed(1);
  auto nchw = make("");
  torch::manual_seed(1);
  auto nhwc = make(", channels_last: true");
  nchw->eval();
  nhwc->eval();
  EXPECT_TRUE(torch::allclose(nchw->forward(x), nhwc->forward(x), 1e-4, 1e-5));
}

}  // namespace
}  // namespace graft
