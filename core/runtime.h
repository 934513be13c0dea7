#pragma once
// Process-wide settings a run needs before it starts: threads, seeds, device.
// Torch-free declarations so the command-line code can call them cheaply.

#include <cstdint>
#include <string>
#include <vector>

namespace graft {

/// The thread counts a run uses.
struct ThreadPlan {
  int torch_threads = 1;  ///< libtorch's intra-op (OpenMP) pool
  int blas_threads = 1;   ///< OpenBLAS's own pool (matrix products, convolutions via GEMM)
};

/// Chooses thread counts. libtorch's OpenMP threads and OpenBLAS's spinning
/// threads oversubscribe 2 cores when both pools have more than one thread
/// (measured 2-4x slower; README, "Threads"). Default: libtorch on
/// OMP_NUM_THREADS threads where that is set (PyTorch's convention, so a
/// shared machine's limit holds), else on every core; OpenBLAS on one, or on
/// as many as libtorch when `matrix_product_work` (Strategy::
/// work_is_matrix_products). `threads` and `blas_threads` override each.
ThreadPlan plan_threads(std::int64_t threads, std::int64_t blas_threads, bool matrix_product_work = false);

/// Applies a plan (libtorch intra-op, inter-op = 1, OpenBLAS).
void configure_threads(const ThreadPlan& plan);

/// Cores this process may use: the logical cores, bounded by the affinity
/// mask and a cgroup v2 CPU quota (containers).
int available_cores();

/// Seeds libtorch's CPU (and CUDA, if present) generators.
void seed_everything(std::uint64_t seed);

/// "auto" -> "cuda" when a GPU is usable, else "cpu"; "cuda[:N]" is checked.
/// In a data-parallel run "cuda" without an index becomes the GPU of this
/// process's local rank (LOCAL_RANK, SLURM_LOCALID), modulo the GPUs there are.
std::string resolve_device(const std::string& requested);

/// The kernel path ATen's CPU operators take in this process: "default",
/// "avx2" or "avx512" (the highest the CPU has, or ATEN_CPU_CAPABILITY's
/// lower choice). Other vector instructions round differently, so two runs
/// of one seed agree bit for bit only on the same path.
std::string aten_cpu_capability();

/// The kernel paths this CPU can take, lowest first ("default", "avx2",
/// "avx512"): the values ATEN_CPU_CAPABILITY may be set to here (a higher
/// one would stop the process on an illegal instruction). ATen's own test:
/// AVX2 with FMA; AVX-512 F, VL, BW and DQ with FMA.
std::vector<std::string> supported_cpu_capabilities();

/// The CPU's model name ("AMD EPYC 7B13"), from /proc/cpuinfo.
std::string cpu_model();

/// Library versions and the machine's kernel paths for the run record
/// ("libtorch 1.13.1, ..., CPU AMD EPYC, ATen CPU capability avx2, OpenBLAS core Haswell").
std::string runtime_versions();

}  // namespace graft

namespace graft {
/// Where fetched and derived data live: $GRAFT_DATA, else
/// $XDG_CACHE_HOME/graft, else ~/.cache/graft.
std::string data_cache_dir();

/// The process's peak resident memory so far (getrusage), in MiB.
double peak_memory_mib();
}  // namespace graft
