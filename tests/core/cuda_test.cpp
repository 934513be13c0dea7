// CUDA: the same DANN training on the GPU as on the CPU. Every test here is
// named Cuda.* and skips itself where no CUDA device is usable (Debian's
// libtorch is CPU-only; a GPU machine builds against PyTorch's libtorch).

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/runtime.h"
#include "tests/methods/method_test_util.h"

namespace graft::testing {
namespace {

TEST(Cuda, DannOnTheGpuMatchesTheCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const auto cpu = train_small(kRotatedMoons, "{name: dann}", 0, {"steps=300", "device=cpu"});
  const auto gpu = train_small(kRotatedMoons, "{name: dann}", 0, {"steps=300", "device=cuda"});
  // Different kernels round differently; the runs must still agree closely.
  EXPECT_NEAR(gpu.final_metrics.at("source.test_acc"), cpu.final_metrics.at("source.test_acc"), 0.03);
  EXPECT_NEAR(gpu.final_metrics.at("target.test_acc"), cpu.final_metrics.at("target.test_acc"), 0.05);
}

TEST(Cuda, AutoPicksTheGpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  EXPECT_EQ(resolve_device("auto"), "cuda");
}

TEST(Device, CudaWithoutAGpuIsAClearError) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this machine has a GPU";
  EXPECT_EQ(resolve_device("auto"), "cpu");
  try {
    resolve_device("cuda:0");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no CUDA device is usable"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace graft::testing
