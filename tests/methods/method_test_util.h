#pragma once
// Runs a method on a small fixed-seed case and returns its final metrics.

#include <map>
#include <string>

#include "core/experiment.h"
#include "core/trainer.h"
#include "tests/test_util.h"

namespace graft::testing {

/// Two moons -> moons rotated 35° (Ganin et al. 2016, sec. 5.1), MLP 15.
constexpr const char* kRotatedMoons = R"(name: moons
data: {source: {name: two_moons}, target: {name: two_moons, rotation: 35}}
model: {name: mlp, hidden: [15]}
optimizer: {name: sgd, lr: 0.05, momentum: 0.9}
steps: 1500
threads: 1
checkpoint_every: 0
)";

/// Trains `method_yaml` (e.g. "{name: dann}") on `experiment` and returns the record.
inline RunRecord train_small(const std::string& experiment, const std::string& method_yaml, std::int64_t seed = 0,
                             const std::vector<std::string>& overrides = {}, bool expect_finished = true) {
  TempDir dir;
  const auto file = dir.write("e.yaml", experiment + "method: " + method_yaml + "\n");
  std::vector<std::string> all = overrides;
  all.push_back("seeds=[" + std::to_string(seed) + "]");
  const RunRecord r = train_run(load_experiment(file, all).runs[0], dir.file("run"), {false, ""});
  if (expect_finished) {
    EXPECT_EQ(r.status, "finished") << r.message;
  }
  return r;
}

/// Mean of the last `n` logged values of a training scalar.
inline double tail_mean(const ScalarTable& table, const std::string& name, std::size_t n = 100) {
  const auto& column = table.columns.at(name);
  double sum = 0;
  for (std::size_t i = column.size() - n; i < column.size(); ++i) sum += column[i];
  return sum / static_cast<double>(n);
}

}  // namespace graft::testing
