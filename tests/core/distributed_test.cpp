// Data-parallel training through c10d (Gloo on localhost): the same final
// parameters as one process with the same global batch, and a clear stop when
// a peer dies. The processes are real `graft` processes.

#include "core/distributed.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/checkpoint_util.h"
#include "tests/test_util.h"

namespace graft::testing {
namespace {

constexpr const char* kExperiment = R"(name: ddp
data: {source: {name: two_moons}}
model: {name: mlp, hidden: [16]}
method: {name: source_only}
optimizer: {name: sgd, lr: 0.05, momentum: 0.9}
steps: 100
batch_size: 64
checkpoint_every: 0
seeds: [0]
)";

TEST(Distributed, TwoProcessesEndWithTheParametersOfOne) {
  TempDir dir;
  const auto file = dir.write("e.yaml", kExperiment);
  const std::string graft = graft_binary();
  ASSERT_EQ(std::system((graft + " run " + file + " output=" + dir.file("one") + " --no-progress > " +
                         dir.file("one.log") + " 2>&1").c_str()),
            0)
      << read_text(dir.file("one.log"));
  ASSERT_EQ(std::system((graft + " run " + file + " output=" + dir.file("two") + " --nproc 2 --no-progress > " +
                         dir.file("two.log") + " 2>&1").c_str()),
            0)
      << read_text(dir.file("two.log"));
  const auto one = checkpoint_parameters(dir.file("one/ddp/runs/source_only__seed0"));
  const auto two = checkpoint_parameters(dir.file("two/ddp/runs/source_only__seed0"));
  ASSERT_FALSE(one.empty());
  ASSERT_EQ(one.size(), two.size());
  for (const auto& [name, tensor] : one) {
    ASSERT_TRUE(two.count(name)) << name;
    EXPECT_LT((tensor - two.at(name)).abs().max().item<double>(), 1e-5) << name;
  }
  // Rank 0 alone wrote results: one table, no scratch left behind by rank 1.
  EXPECT_EQ(read_text(dir.file("two.log")).find("rank 1"), std::string::npos);
  // Again: both ranks agree, through rank 0's decision, that the run is kept.
  ASSERT_EQ(std::system((graft + " run " + file + " output=" + dir.file("two") + " --nproc 2 --no-progress > " +
                         dir.file("again.log") + " 2>&1").c_str()),
            0)
      << read_text(dir.file("again.log"));
  EXPECT_NE(read_text(dir.file("again.log")).find("finished earlier; kept"), std::string::npos)
      << read_text(dir.file("again.log"));
}

TEST(Distributed, ADeadRankStopsItsPeerWithAClearError) {
  TempDir dir;
  std::string long_run = kExperiment;
  long_run.replace(long_run.find("steps: 100\n"), 11, "steps: 1000000\n");
  const auto file = dir.write("long.yaml", long_run);
  // Two ranks started by hand (as torchrun would); rank 1 is killed mid-run.
  const auto script = dir.write("dead.sh", R"(#!/bin/bash
export WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$((20000 + RANDOM % 20000)) GRAFT_DIST_TIMEOUT=30
RANK=0 ")" + graft_binary() + R"(" run ")" + file + R"(" output=")" + dir.file("out") + R"(" --no-progress > ")" +
                                                   dir.file("rank0.log") + R"(" 2>&1 &
p0=$!
RANK=1 ")" + graft_binary() + R"(" run ")" + file + R"(" output=")" + dir.file("out") +
                                                   R"(" --no-progress > /dev/null 2>&1 &
p1=$!
sleep 3
kill -9 $p1
wait $p0
echo "exit $?" >> ")" + dir.file("rank0.log") + R"("
)");
  ASSERT_EQ(std::system(("bash " + script).c_str()), 0);
  const std::string log = read_text(dir.file("rank0.log"));
  EXPECT_NE(log.find("a peer process failed or stopped answering"), std::string::npos) << log;
  EXPECT_NE(log.find("\nexit 1"), std::string::npos) << log;
}

TEST(Distributed, MissingRendezvousVariablesAreNamed) {
  TempDir dir;
  const auto file = dir.write("e.yaml", kExperiment);
  const std::string command = "WORLD_SIZE=2 RANK=0 " + graft_binary() + " run " + file + " output=" + dir.file("o") +
                              " > " + dir.file("log") + " 2>&1";
  EXPECT_NE(std::system(command.c_str()), 0);
  EXPECT_NE(read_text(dir.file("log")).find("MASTER_ADDR is not set"), std::string::npos) << read_text(dir.file("log"));
}

TEST(Distributed, OneProcessIsANoOp) {
  EXPECT_EQ(process_count(), 1);
  EXPECT_EQ(process_rank(), 0);
  std::vector<at::Tensor> tensors{torch::ones({3})};
  average_across_processes(tensors);
  EXPECT_TRUE(torch::equal(tensors[0], torch::ones({3})));
  EXPECT_TRUE(agree_with_rank0(true, "x"));
}

// Which GPU a rank takes on its machine: torchrun's LOCAL_RANK, else srun's
// SLURM_LOCALID, else the global rank.
TEST(Distributed, LocalRankComesFromTheLauncher) {
  EnvironmentGuard no_torchrun("LOCAL_RANK", nullptr), no_srun("SLURM_LOCALID", nullptr);
  EXPECT_EQ(local_process_rank(), process_rank());
  EnvironmentGuard srun("SLURM_LOCALID", "2");
  EXPECT_EQ(local_process_rank(), 2);
  EnvironmentGuard torchrun("LOCAL_RANK", "3");
  EXPECT_EQ(local_process_rank(), 3);
}

}  // namespace
}  // namespace graft::testing
