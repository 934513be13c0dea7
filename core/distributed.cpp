#include "core/distributed.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <torch/torch.h>
#ifdef GRAFT_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
// USE_C10D_NCCL comes with libtorch's CUDA target when it was built with NCCL
// (PyTorch's CUDA wheels; not Debian's CPU libtorch).
#if defined(GRAFT_HAVE_GLOO) && defined(USE_C10D_NCCL)
#define GRAFT_HAVE_NCCL 1
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#elif defined(GRAFT_REQUIRE_NCCL)  // third_party/check-libtorch2.sh --cuda
#error "GRAFT_REQUIRE_NCCL: this libtorch has no NCCL process group (USE_C10D_NCCL is not defined)"
#endif

#include "core/error.h"

namespace graft {

namespace {

#ifdef GRAFT_HAVE_GLOO
struct Group {
  int rank = 0, size = 1;
  std::chrono::milliseconds timeout{60000};
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  /// agree_with_rank0 calls so far: every rank decides the same things in the
  /// same order, so the count makes each decision's store key unique.
  std::int64_t decisions = 0;
#ifdef GRAFT_HAVE_NCCL
  // Decided at the first reduction of CUDA tensors, the same on every rank.
  enum class Cuda { kUndecided, kNccl, kGloo } cuda = Cuda::kUndecided;
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;
#endif
};
#else
struct Group {  // built without Gloo: always one process
  int rank = 0, size = 1;
  struct None {
    explicit operator bool() const { return false; }
  } pg, store;
};
#endif

Group& group() {
  static Group g;
  return g;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

int env_int(const char* name, const std::string& fallback = "") {
  const std::string v = env(name).empty() ? fallback : env(name);
  try {
    return std::stoi(v);
  } catch (const std::exception&) {
    throw DistributedError(fmt::format("{}='{}' is not a number (set by torchrun/srun, or by graft run --nproc)",
                                       name, v));
  }
}

}  // namespace

void init_distributed_from_environment() {
  Group& g = group();
  if (g.pg) return;
  if (env("WORLD_SIZE").empty() || env_int("WORLD_SIZE") <= 1) return;
  g.size = env_int("WORLD_SIZE");
  g.rank = env_int("RANK", env("SLURM_PROCID"));
  for (const char* required : {"MASTER_ADDR", "MASTER_PORT"})
    if (env(required).empty())
      throw DistributedError(fmt::format("WORLD_SIZE={} but {} is not set: data-parallel runs need RANK, "
                                         "WORLD_SIZE, MASTER_ADDR and MASTER_PORT (torchrun and srun set them; "
                                         "`graft run FILE --nproc N` sets them on one machine)",
                                         g.size, required));
#ifndef GRAFT_HAVE_GLOO
  throw DistributedError(fmt::format("WORLD_SIZE={}: this graft was built without c10d's Gloo headers, so it runs "
                                     "one process only; install libgloo-dev (Debian) and rebuild",
                                     g.size));
#else
  const auto timeout = std::chrono::seconds(env("GRAFT_DIST_TIMEOUT").empty() ? 60 : env_int("GRAFT_DIST_TIMEOUT"));
  g.timeout = timeout;
  try {
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(env_int("MASTER_PORT"));
    options.isServer = g.rank == 0;
    options.numWorkers = static_cast<std::size_t>(g.size);
    options.waitWorkers = true;
    options.timeout = timeout;
    g.store = c10::make_intrusive<c10d::TCPStore>(env("MASTER_ADDR"), options);
    auto pg_options = c10d::ProcessGroupGloo::Options::create();
    pg_options->timeout = timeout;
    pg_options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    g.pg = c10::make_intrusive<c10d::ProcessGroupGloo>(g.store, g.rank, g.size, pg_options);
  } catch (const std::exception& e) {
    throw DistributedError(fmt::format("rank {} of {} could not join the group at {}:{} within {} s: {}", g.rank,
                                       g.size, env("MASTER_ADDR"), env("MASTER_PORT"), timeout.count(), e.what()));
  }
#endif
}

int process_rank() { return group().rank; }
int process_count() { return group().size; }
int local_process_rank() {
  for (const char* name : {"LOCAL_RANK", "SLURM_LOCALID"})
    if (!env(name).empty()) return env_int(name);
  return group().rank;
}

namespace {

#ifdef GRAFT_HAVE_NCCL
/// NCCL needs a GPU of its own for every rank; ranks that share one (more
/// processes than GPUs on a machine) reduce through Gloo, which takes CUDA
/// tensors too. Every rank publishes where its tensors live and reads all
/// the others', so all reach the same answer. GRAFT_DIST_BACKEND=gloo|nccl
/// forces the choice.
bool use_nccl(Group& g, const at::Tensor& tensor) {
  if (g.cuda == Group::Cuda::kUndecided) {
    const std::string forced = env("GRAFT_DIST_BACKEND");
    if (!forced.empty() && forced != "gloo" && forced != "nccl")
      throw DistributedError(fmt::format("GRAFT_DIST_BACKEND='{}': use gloo or nccl (or leave it unset)", forced));
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    const std::string mine = fmt::format("{}/cuda:{}", host, tensor.device().index());
    g.store->set(fmt::format("graft/gpu/{}", g.rank), std::vector<std::uint8_t>(mine.begin(), mine.end()));
    std::vector<std::string> all;
    for (int r = 0; r < g.size; ++r) {
      const auto bytes = g.store->get(fmt::format("graft/gpu/{}", r));
      all.emplace_back(bytes.begin(), bytes.end());
    }
    std::sort(all.begin(), all.end());
    const bool own_gpus = std::adjacent_find(all.begin(), all.end()) == all.end();
    g.cuda = forced == "gloo" || (forced.empty() && !own_gpus) ? Group::Cuda::kGloo : Group::Cuda::kNccl;
    if (g.cuda == Group::Cuda::kNccl) {
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = g.timeout;
      g.nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(c10::make_intrusive<c10d::PrefixStore>("nccl", g.store),
                                                           g.rank, g.size, options);
    }
    if (g.rank == 0)
      std::fprintf(stderr, "graft: gradients of CUDA tensors are reduced with %s%s\n",
                   g.cuda == Group::Cuda::kNccl ? "NCCL" : "Gloo",
                   own_gpus ? "" : " (ranks share a GPU; NCCL needs one per rank)");
  }
  return g.cuda == Group::Cuda::kNccl;
}
#endif

}  // namespace

void average_across_processes(std::vector<at::Tensor>& tensors) {
#ifdef GRAFT_HAVE_GLOO
  Group& g = group();
  if (!g.pg || tensors.empty()) return;
  // One flat buffer: one collective per step instead of one per parameter.
  std::vector<at::Tensor> flat_parts;
  for (const auto& t : tensors) flat_parts.push_back(t.reshape({-1}));
  std::vector<at::Tensor> buffer{torch::cat(flat_parts)};
  try {
#ifdef GRAFT_HAVE_NCCL
    if (buffer[0].is_cuda() && use_nccl(g, buffer[0]))
      g.nccl->allreduce(buffer)->wait();
    else
#endif
      g.pg->allreduce(buffer)->wait();
  } catch (const DistributedError&) {
    throw;
  } catch (const std::exception& e) {
    throw DistributedError(fmt::format("rank {}: a peer process failed or stopped answering during the gradient "
                                       "all-reduce ({}); stopping",
                                       g.rank, e.what()));
  }
  buffer[0].div_(g.size);
  std::int64_t offset = 0;
  for (auto& t : tensors) {
    t.copy_(buffer[0].narrow(0, offset, t.numel()).view_as(t));
    offset += t.numel();
  }
#else
  (void)tensors;
#endif
}

bool agree_with_rank0(bool value, const std::string& what) {
#ifndef GRAFT_HAVE_GLOO
  (void)what;
  return value;
#else
  Group& g = group();
  if (!g.pg) return value;
  const std::string key = fmt::format("{}/{}", ++g.decisions, what);
  try {
    if (g.rank == 0) {
      g.store->set("graft/" + key, std::vector<std::uint8_t>{static_cast<std::uint8_t>(value)});
      return value;
    }
    return g.store->get("graft/" + key).at(0) != 0;
  } catch (const std::exception& e) {
    throw DistributedError(fmt::format("rank {}: no answer from rank 0 for '{}' ({}); stopping", g.rank, key, e.what()));
  }
#endif
}

namespace {

int free_port() {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  const bool ok = bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  getsockname(s, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  close(s);
  if (!ok) throw Error("--nproc: cannot find a free local port");
  return ntohs(address.sin_port);
}

}  // namespace

int launch_local_processes(const std::vector<std::string>& argv, int processes) {
  const int port = free_port();
  std::map<pid_t, int> children;
  for (int rank = 0; rank < processes; ++rank) {
    const pid_t pid = fork();
    if (pid == 0) {
      setenv("RANK", std::to_string(rank).c_str(), 1);
      setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);  // all on this machine
      setenv("WORLD_SIZE", std::to_string(processes).c_str(), 1);
      setenv("MASTER_ADDR", "127.0.0.1", 1);
      setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      std::vector<char*> raw;
      std::vector<std::string> copy = argv;
      for (auto& a : copy) raw.push_back(a.data());
      raw.push_back(nullptr);
      execv(raw[0], raw.data());
      _exit(127);
    }
    if (pid < 0) throw Error("--nproc: cannot start a process");
    children[pid] = rank;
  }
  int result = 0;
  while (!children.empty()) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) break;
    const int rank = children[pid];
    children.erase(pid);
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (code != 0 && result == 0) {
      result = code;
      std::fprintf(stderr, "graft: rank %d exited with status %d; stopping the other processes\n", rank, code);
      for (const auto& [other, r] : children) kill(other, SIGTERM);
    }
  }
  return result;
}

}  // namespace graft
