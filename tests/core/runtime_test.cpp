#include "core/runtime.h"

#include <sched.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace graft {
namespace {

// Restores the calling thread's affinity mask when the test ends.
class AffinityGuard {
 public:
  AffinityGuard() { sched_getaffinity(0, sizeof(saved_), &saved_); }
  ~AffinityGuard() { sched_setaffinity(0, sizeof(saved_), &saved_); }
  const cpu_set_t& saved() const { return saved_; }

 private:
  cpu_set_t saved_{};
};

// A process pinned to one core (taskset, Slurm --cpus-per-task=1) must not
// start a thread per core of the host.
TEST(Runtime, AvailableCoresFollowsTheAffinityMask) {
  AffinityGuard guard;
  int first = 0;
  while (first < CPU_SETSIZE && !CPU_ISSET(first, &guard.saved())) ++first;
  ASSERT_LT(first, CPU_SETSIZE);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
  EXPECT_EQ(available_cores(), 1);
}

using graft::testing::EnvironmentGuard;

TEST(Runtime, ThreadPlanDefaultsAndOverrides) {
  EnvironmentGuard no_limit("OMP_NUM_THREADS", nullptr);
  const ThreadPlan defaults = plan_threads(0, 0);
  EXPECT_EQ(defaults.torch_threads, available_cores());
  EXPECT_EQ(defaults.blas_threads, 1);  // OpenBLAS beside OpenMP oversubscribes
  const ThreadPlan chosen = plan_threads(3, 2);
  EXPECT_EQ(chosen.torch_threads, 3);
  EXPECT_EQ(chosen.blas_threads, 2);
  // Closed-form methods: BLAS follows libtorch's count unless set.
  EXPECT_EQ(plan_threads(3, 0, /*matrix_product_work=*/true).blas_threads, 3);
  EXPECT_EQ(plan_threads(0, 0, true).blas_threads, available_cores());
  EXPECT_EQ(plan_threads(3, 1, true).blas_threads, 1);
}

// PyTorch's convention: OMP_NUM_THREADS limits the default, as on a shared
// node; an experiment's explicit `threads` still wins.
TEST(Runtime, OmpNumThreadsSetsTheDefault) {
  {
    EnvironmentGuard limit("OMP_NUM_THREADS", "3");
    EXPECT_EQ(plan_threads(0, 0).torch_threads, 3);
    EXPECT_EQ(plan_threads(2, 0).torch_threads, 2);
  }
  {
    EnvironmentGuard nested("OMP_NUM_THREADS", "4,2");
    EXPECT_EQ(plan_threads(0, 0).torch_threads, 4);
  }
  for (const char* ignored : {"", "zero", "0", "-2"}) {
    EnvironmentGuard bad("OMP_NUM_THREADS", ignored);
    EXPECT_EQ(plan_threads(0, 0).torch_threads, available_cores()) << "'" << ignored << "'";
  }
}

// Results are compared knowingly only if each says which kernel path made it:
// `graft info` and every run record name the path ATen really dispatched to,
// and ATEN_CPU_CAPABILITY (set before the process starts) changes it.
TEST(Runtime, ReportsTheKernelPathAtenTakes) {
  const auto paths = supported_cpu_capabilities();
  ASSERT_FALSE(paths.empty());
  EXPECT_EQ(paths.front(), "default");
  for (const auto& path : paths) {
    testing::TempDir dir;
    const std::string out = dir.file("info.txt");
    const std::string command = "ATEN_CPU_CAPABILITY=" + path + " " + testing::graft_binary() + " info > " + out;
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    const std::string info = testing::read_text(out);
    EXPECT_NE(info.find("aten cpu capability: " + path + " "), std::string::npos) << info;
    EXPECT_NE(info.find("ATen CPU capability " + path), std::string::npos) << info;  // the run record's string
  }
}

// `graft data check-vec FILE abc` once said only "error: stoll".
TEST(Runtime, CheckVecSaysWhatItsCountMustBe) {
  testing::TempDir dir;
  const std::string vec = dir.write("v.vec", "1 2\nword 0.5 0.25\n");
  for (const char* count : {"abc", "3x", "-1"}) {
    const std::string command =
        testing::graft_binary() + " data check-vec " + vec + " " + count + " > " + dir.file("out") + " 2>&1";
    EXPECT_NE(std::system(command.c_str()), 0) << count;
    const std::string out = testing::read_text(dir.file("out"));
    EXPECT_NE(out.find("is not the number of words to read"), std::string::npos) << count << ": " << out;
    EXPECT_NE(out.find(count), std::string::npos) << out;
  }
  EXPECT_EQ(std::system((testing::graft_binary() + " data check-vec " + vec + " 1 > /dev/null").c_str()), 0);
}

TEST(Runtime, KernelPathsForScriptsAreOneLine) {
  testing::TempDir dir;
  const std::string out = dir.file("paths.txt");
  ASSERT_EQ(std::system((testing::graft_binary() + " info kernel-paths > " + out).c_str()), 0);
  std::string expected;
  for (const auto& path : supported_cpu_capabilities()) expected += (expected.empty() ? "" : " ") + path;
  EXPECT_EQ(testing::read_text(out), expected + "\n");
}

}  // namespace
}  // namespace graft
