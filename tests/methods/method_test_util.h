#pragma once
// Runs a method on a small fixed-seed case and returns its final metrics.

#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

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

/// Partial domain adaptation: eight blobs -> three of them (0, 1, 2), the
/// target turned 15 degrees (datasets/blobs.h, class_subset.h). Aligning the
/// target with the whole source pulls target points into the five outlier
/// classes: DANN ends below source only on 27 of 30 seed x kernel-path runs
/// (seeds 0-9, ATen default/avx2/avx512), by 6 points on average.
constexpr const char* kPartialBlobs = R"(name: partial
data:
  source: {name: blobs, classes: 8}
  target: {name: class_subset, of: {name: blobs, classes: 8, rotation: 15}, keep: [0, 1, 2]}
model: {name: mlp, hidden: [32]}
optimizer: {name: sgd, lr: 0.05, momentum: 0.9}
steps: 3000
threads: 1
checkpoint_every: 0
)";

/// Open-set adaptation: blobs 0-3 in the source; the target rotated by 20
/// degrees, with classes 4 and 5 merged into one unknown class, label 4 (=
/// the source's K).
constexpr const char* kOpenSetBlobs = R"(name: open_blobs
data:
  source: {name: class_subset, of: {name: blobs}, keep: [0, 1, 2, 3]}
  target: {name: class_subset, of: {name: blobs, rotation: 20}, unknown: [4, 5]}
model: {name: mlp, hidden: [32]}
optimizer: {name: sgd, lr: 0.01, momentum: 0.9}
steps: 2000
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

/// The seeds an outcome test states its claim on (tests named `*Outcome.*`,
/// CTest label `outcome`). GRAFT_OUTCOME_SEEDS ("0-9" or "0,4,7") replaces
/// them, so that a claim's spread can be measured on many seeds and under
/// every kernel path before its margin is chosen (README, "Reproducibility"):
///   GRAFT_OUTCOME_SEEDS=0-9 ATEN_CPU_CAPABILITY=default build/bin/graft_tests --gtest_filter='DannOutcome.*'
/// Central differences of the scalar f at x (float64), for gradient checks
/// of a method's own loss terms.
inline torch::Tensor numeric_gradient(const std::function<torch::Tensor(const torch::Tensor&)>& f,
                                      const torch::Tensor& x, double step = 1e-6) {
  auto gradient = torch::zeros_like(x);
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    auto plus = x.clone(), minus = x.clone();
    plus.view(-1)[i] += step;
    minus.view(-1)[i] -= step;
    gradient.view(-1)[i] = (f(plus) - f(minus)) / (2 * step);
  }
  return gradient;
}

inline std::vector<std::int64_t> outcome_seeds(std::vector<std::int64_t> claimed) {
  const char* env = std::getenv("GRAFT_OUTCOME_SEEDS");
  if (!env || !*env) return claimed;
  std::vector<std::int64_t> seeds;
  std::stringstream list(env);
  for (std::string item; std::getline(list, item, ',');) {
    const auto dash = item.find('-');
    const std::int64_t first = std::stoll(item.substr(0, dash));
    const std::int64_t last = dash == std::string::npos ? first : std::stoll(item.substr(dash + 1));
    for (std::int64_t s = first; s <= last; ++s) seeds.push_back(s);
  }
  return seeds;
}

/// One line per seed of an outcome test ("outcome DannOutcome seed 3: dann=0.912 source_only=0.700"):
/// CTest shows it when the test fails; a measurement greps it.
inline void print_outcome(std::int64_t seed, const std::map<std::string, double>& values) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::cout << "outcome " << info->test_suite_name() << "." << info->name() << " seed " << seed << ":";
  for (const auto& [name, value] : values) std::cout << " " << name << "=" << value;
  std::cout << std::endl;
}

/// The mean of `values`.
inline double mean_of(const std::vector<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

/// Mean of the last `n` logged values of a training scalar.
inline double tail_mean(const ScalarTable& table, const std::string& name, std::size_t n = 100) {
  const auto& column = table.columns.at(name);
  double sum = 0;
  for (std::size_t i = column.size() - n; i < column.size(); ++i) sum += column[i];
  return sum / static_cast<double>(n);
}

}  // namespace graft::testing
