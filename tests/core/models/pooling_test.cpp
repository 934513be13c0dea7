// graft's 2x2 max pooling (core/models/pooling.cpp) against libtorch's: the
// same values and gradients bit for bit, ties and odd sizes included.
#include "core/models/pooling.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>

namespace graft {
namespace {

bool bitwise_equal(const torch::Tensor& a, const torch::Tensor& b) {
  return a.sizes() == b.sizes() && a.dtype() == b.dtype() &&
         torch::equal(a.contiguous().view(torch::kInt32), b.contiguous().view(torch::kInt32));
}

/// Forward and input gradient of `pool` at x for an upstream gradient g.
std::pair<torch::Tensor, torch::Tensor> run(const std::function<torch::Tensor(const torch::Tensor&)>& pool,
                                            const torch::Tensor& x, const torch::Tensor& g) {
  auto input = x.clone().requires_grad_(true);
  auto out = pool(input);
  out.backward(g);
  return {out.detach(), input.grad()};
}

void expect_same_as_libtorch(const torch::Tensor& x) {
  const auto reference = [](const torch::Tensor& t) { return torch::max_pool2d(t, 2); };
  const auto g = torch::randn({x.size(0), x.size(1), x.size(2) / 2, x.size(3) / 2});
  const auto [want_out, want_grad] = run(reference, x, g);
  const auto [out, grad] = run(max_pool_2x2, x, g);
  EXPECT_TRUE(bitwise_equal(out, want_out)) << x.sizes();
  EXPECT_TRUE(bitwise_equal(grad, want_grad)) << x.sizes();
}

/// Two libtorch threads for one test (CTest sets OMP_NUM_THREADS=1): the
/// kernels split planes across threads, and the split must not show.
struct TwoThreads {
  int saved = torch::get_num_threads();
  TwoThreads() { torch::set_num_threads(2); }
  ~TwoThreads() { torch::set_num_threads(saved); }
};

TEST(MaxPool2x2, MatchesLibtorchBitForBit) {
  TwoThreads threads;
  torch::manual_seed(0);
  expect_same_as_libtorch(torch::randn({8, 32, 24, 24}));
  expect_same_as_libtorch(torch::randn({3, 5, 7, 9}));  // odd sizes: the last row and column are dropped
  expect_same_as_libtorch(torch::randn({1, 1, 2, 2}));
}

TEST(MaxPool2x2, TiesAndNaNsPickTheSameInputAsLibtorch) {
  torch::manual_seed(1);
  // Small integers: most windows hold ties; zeros give -0/+0 gradients.
  auto x = torch::randint(-2, 3, {4, 6, 10, 10}).to(torch::kFloat32);
  expect_same_as_libtorch(x);
  // NaNs and -infs in every slot of the windows, in the vectorised part of
  // the rows (8 windows wide) and in the scalar tail (the ninth).
  auto y = torch::randn({2, 3, 8, 18});
  const auto slots = torch::rand({2, 3, 8, 18});
  y.masked_fill_(slots < 0.1, std::numeric_limits<float>::quiet_NaN());
  y.masked_fill_(slots > 0.9, -std::numeric_limits<float>::infinity());
  const auto g = torch::randn({2, 3, 4, 9});
  const auto [want_out, want_grad] = run([](const torch::Tensor& t) { return torch::max_pool2d(t, 2); }, y, g);
  const auto [out, grad] = run(max_pool_2x2, y, g);
  ASSERT_GT(torch::isnan(want_out).sum().item<std::int64_t>(), 0);
  EXPECT_TRUE(torch::equal(torch::isnan(out), torch::isnan(want_out)));
  EXPECT_TRUE(torch::equal(torch::nan_to_num(out, 0.0), torch::nan_to_num(want_out, 0.0)));
  EXPECT_TRUE(bitwise_equal(grad, want_grad));
}

TEST(MaxPool2x2, OtherLayoutsAndDtypesFallBackToLibtorch) {
  torch::manual_seed(2);
  const auto x = torch::randn({2, 4, 8, 8});
  const auto channels_last = x.contiguous(torch::MemoryFormat::ChannelsLast);
  EXPECT_TRUE(torch::equal(max_pool_2x2(channels_last), torch::max_pool2d(channels_last, 2)));
  const auto doubles = x.to(torch::kFloat64);
  EXPECT_TRUE(torch::equal(max_pool_2x2(doubles), torch::max_pool2d(doubles, 2)));
  const auto strided = x.transpose(2, 3);
  EXPECT_TRUE(torch::equal(max_pool_2x2(strided), torch::max_pool2d(strided, 2)));
}

TEST(MaxPool2x2, SecondDerivativesMatchLibtorch) {
  // Under create_graph the backward stays differentiable (as libtorch's does).
  torch::manual_seed(3);
  const auto x = torch::randn({2, 3, 6, 6});
  auto second = [&](const std::function<torch::Tensor(const torch::Tensor&)>& pool) {
    auto input = x.clone().requires_grad_(true);
    auto g = torch::randn({2, 3, 3, 3}, torch::TensorOptions().requires_grad(true));
    torch::manual_seed(4);
    const auto v = torch::randn({2, 3, 6, 6});
    auto first = torch::autograd::grad({pool(input)}, {input}, {g}, true, true)[0];
    return torch::autograd::grad({(first * v).sum()}, {g})[0];
  };
  EXPECT_TRUE(torch::equal(second(max_pool_2x2), second([](const torch::Tensor& t) { return torch::max_pool2d(t, 2); })));
}

}  // namespace
}  // namespace graft
