#pragma once
// Data-parallel training on PyTorch's own engine (c10d: Gloo on CPU; NCCL for
// CUDA tensors when libtorch has it and every rank has a GPU of its own), set up
// from the variables torchrun and Slurm's srun export: RANK, WORLD_SIZE,
// MASTER_ADDR, MASTER_PORT. With WORLD_SIZE unset or 1 everything here is a
// no-op and graft runs as one process.
//
// How a run is split: every rank draws the same global batch from the same
// seeded streams and trains on its own contiguous slice of it (batch_size must
// divide by WORLD_SIZE); gradients are averaged across ranks at the trainer's
// one reduction point, so every rank holds the same parameters and a run with
// N processes follows the one-process run with the same global batch. Only
// rank 0 writes results; the others write to a private scratch folder.
// Torch-free header.

#include <cstdint>
#include <string>
#include <vector>

namespace at {
class Tensor;
}

namespace graft {

/// Joins the process group if WORLD_SIZE > 1 (timeout: GRAFT_DIST_TIMEOUT
/// seconds, default 60). Throws DistributedError naming what is missing.
void init_distributed_from_environment();

int process_rank();   ///< 0 without a group
int process_count();  ///< 1 without a group
/// This process's rank among those on its machine: LOCAL_RANK (torchrun,
/// graft run --nproc) or SLURM_LOCALID (srun), else the global rank.
int local_process_rank();

/// Averages the tensors in place across processes (a no-op for one).
void average_across_processes(std::vector<at::Tensor>& tensors);

/// Rank 0's value of a yes/no decision (e.g. "this run is finished: skip it"),
/// the same on every rank. Every rank must make the same calls in the same
/// order; `what` names the decision in errors.
bool agree_with_rank0(bool value, const std::string& what);

/// Runs `graft run ...` as `processes` local processes (RANK 0..N-1 on
/// 127.0.0.1 and a free port), `threads` each; if one fails, stops the others.
/// Returns the exit status to report.
int launch_local_processes(const std::vector<std::string>& argv, int processes);

}  // namespace graft
