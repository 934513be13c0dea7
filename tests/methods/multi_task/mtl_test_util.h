#pragma once
// A short multi-task run on MultiMNIST (real cached data).

#include <string>

#include "tests/methods/method_test_util.h"

namespace graft::testing {

inline RunRecord train_multi_mnist(const std::string& method_yaml, const std::string& tasks_yaml, int steps = 100,
                                   std::vector<std::string> overrides = {}, bool expect_finished = true,
                                   std::int64_t seed = 0) {
  const std::string experiment = R"(name: mtl
data: {source: {name: multi_mnist}}
model: {name: lenet}
optimizer: {name: sgd, lr: 0.05, momentum: 0.9}
batch_size: 128
log_every: 1
checkpoint_every: 0
tasks: )" + tasks_yaml + "\n";
  overrides.push_back("steps=" + std::to_string(steps));
  return train_small(experiment, method_yaml, seed, overrides, expect_finished);
}

}  // namespace graft::testing
