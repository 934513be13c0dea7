#include "core/runtime.h"

#include <dlfcn.h>
#include <sched.h>
#include <sys/resource.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <torch/torch.h>

#include "core/distributed.h"
#include "core/error.h"

namespace graft {

namespace {
// OpenBLAS's pool size can only be changed through its own entry point; graft
// looks it up at run time so that it links against any BLAS.
void set_blas_threads(int threads) {
  using SetThreads = void (*)(int);
  if (auto fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) fn(threads);
  if (auto fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "goto_set_num_threads"))) fn(threads);
}
}  // namespace

// A container limited to 2 CPUs still reports the host's cores through
// hardware_concurrency(); starting that many OpenMP threads on 2 cores makes
// every parallel region wait on descheduled threads (a training step ran ~10x
// slower). The affinity mask (taskset, Slurm) and the cgroup v2 quota (docker
// --cpus, Kubernetes limits) say what this process may really use.
int available_cores() {
  const unsigned hardware = std::thread::hardware_concurrency();
  int cores = hardware == 0 ? 1 : static_cast<int>(hardware);
  cpu_set_t mask;
  if (sched_getaffinity(0, sizeof(mask), &mask) == 0) cores = std::min(cores, std::max(1, CPU_COUNT(&mask)));
  if (std::ifstream quota_file{"/sys/fs/cgroup/cpu.max"}) {
    std::string quota;
    double period = 0;
    if (quota_file >> quota >> period && quota != "max" && period > 0) {
      const double limit = std::stod(quota) / period;
      cores = std::min(cores, std::max(1, static_cast<int>(std::ceil(limit))));
    }
  }
  return cores;
}

namespace {

/// OMP_NUM_THREADS as OpenMP reads it: a positive count, or the first of a
/// nested list ("4,2"); 0 when unset or not a count.
int omp_num_threads_from_environment() {
  const char* value = std::getenv("OMP_NUM_THREADS");
  if (!value) return 0;
  char* end = nullptr;
  const long count = std::strtol(value, &end, 10);
  return end != value && (*end == '\0' || *end == ',') && count > 0 ? static_cast<int>(count) : 0;
}

}  // namespace

ThreadPlan plan_threads(std::int64_t threads, std::int64_t blas_threads, bool matrix_product_work) {
  ThreadPlan plan;
  const int from_environment = omp_num_threads_from_environment();
  plan.torch_threads = threads > 0 ? static_cast<int>(threads) : from_environment > 0 ? from_environment : available_cores();
  plan.blas_threads = blas_threads > 0 ? static_cast<int>(blas_threads) : matrix_product_work ? plan.torch_threads : 1;
  return plan;
}

void configure_threads(const ThreadPlan& plan) {
  // glibc returns large blocks (im2col buffers, activations) to the kernel
  // after every step and maps them again on the next: a conv step spent more
  // time in page faults than in arithmetic (sys 2.5 s vs 0.4 s, 10-25% slower
  // measured). Keeping them in the heap removes that.
  static const bool allocator_tuned = [] {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    return true;
  }();
  (void)allocator_tuned;
  set_blas_threads(plan.blas_threads);
  torch::set_num_threads(plan.torch_threads);
  static bool interop_set = false;  // may be set only once per process
  if (!interop_set) {
    try {
      torch::set_num_interop_threads(1);
    } catch (const std::exception&) {
      // Already started by an earlier parallel region; harmless.
    }
    interop_set = true;
  }
}

void seed_everything(std::uint64_t seed) {
  torch::manual_seed(seed);
  if (torch::cuda::is_available()) torch::cuda::manual_seed_all(seed);
}

std::string resolve_device(const std::string& requested) {
  if (requested == "auto") return resolve_device(torch::cuda::is_available() ? "cuda" : "cpu");
  if (requested.rfind("cuda", 0) == 0) {
    GRAFT_CHECK(torch::cuda::is_available(), "device",
                "'{}' was requested but no CUDA device is usable (graft built without CUDA, or no GPU); "
                "use device: cpu or device: auto",
                requested);
    const torch::Device device(requested);
    GRAFT_CHECK(!device.has_index() || device.index() < static_cast<int>(torch::cuda::device_count()), "device",
                "'{}' does not exist: this machine has {} CUDA device(s)", requested, torch::cuda::device_count());
    // Data-parallel ranks on one machine each take a GPU of their own, as
    // torchrun's scripts do with LOCAL_RANK (NCCL needs one per rank).
    if (!device.has_index() && process_count() > 1)
      return fmt::format("cuda:{}", local_process_rank() % static_cast<int>(torch::cuda::device_count()));
  }
  return requested;
}

std::string aten_cpu_capability() {
  // ATen's get_cpu_capability() is not exported by every libtorch build
  // (Debian's hides it); show_config() is, in 1.13 and 2.x, and prints the
  // path it dispatches to: "CPU capability usage: AVX2" ("NO AVX"/"DEFAULT"
  // for the scalar path).
  const std::string config = at::show_config();
  const std::string marker = "CPU capability usage: ";
  const auto at = config.find(marker);
  if (at == std::string::npos) return "unknown";
  std::string usage = config.substr(at + marker.size(), config.find('\n', at) - at - marker.size());
  if (usage == "NO AVX" || usage == "DEFAULT") return "default";
  std::transform(usage.begin(), usage.end(), usage.begin(), [](unsigned char c) { return std::tolower(c); });
  return usage;
}

std::vector<std::string> supported_cpu_capabilities() {
  std::vector<std::string> paths{"default"};
#if defined(__x86_64__)
  __builtin_cpu_init();
  const bool fma = __builtin_cpu_supports("fma");
  if (fma && __builtin_cpu_supports("avx2")) paths.push_back("avx2");
  if (fma && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
    paths.push_back("avx512");
#endif
  return paths;
}

std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  return "unknown CPU";
}

std::string runtime_versions() {
  using GetConfig = char* (*)();
  std::string blas = "unknown BLAS";
  if (auto fn = reinterpret_cast<GetConfig>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) blas = fn();
  // OpenBLAS picks its kernels for the CPU at start-up (OPENBLAS_CORETYPE
  // overrides it); they round differently, as ATen's paths do.
  if (auto fn = reinterpret_cast<GetConfig>(dlsym(RTLD_DEFAULT, "openblas_get_corename")))
    blas += fmt::format(", OpenBLAS core {}", fn());
  return fmt::format("libtorch {}, {} intra-op threads, {}, cuda {}, CPU {}, ATen CPU capability {}", TORCH_VERSION,
                     torch::get_num_threads(), blas, torch::cuda::is_available() ? "available" : "not available",
                     cpu_model(), aten_cpu_capability());
}

}  // namespace graft

namespace graft {
std::string data_cache_dir() {
  if (const char* env = std::getenv("GRAFT_DATA"); env && *env) return env;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/graft";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/graft";
  return ".graft-cache";
}
double peak_memory_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

}  // namespace graft
