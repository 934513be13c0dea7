#include "core/trainer.h"

#include <dlfcn.h>

#include <cmath>
#include <limits>
#include <sstream>

#include <gtest/gtest.h>

#include "core/registries.h"
#include "core/runtime.h"
#include "core/sealed_file.h"
#include "core/strategy.h"
#include "core/sweep.h"
#include "tests/test_util.h"

namespace graft {
namespace {

using testing::TempDir;

/// A method whose loss becomes NaN at step 3: the run must fail cleanly.
class Diverging : public Strategy {
 public:
  using Options = NoOptions;
  explicit Diverging(Options) {}
  std::vector<StreamRequest> streams() const override { return {{"train", "source"}}; }
  void setup(const SetupContext&) override { weight_ = register_parameter("w", torch::ones({1})); }
  std::vector<ParameterGroup> parameter_groups() override { return {{"all", {weight_}}}; }
  StepReport train_step(StepContext& ctx) override {
    auto loss = (weight_ * weight_).sum();
    loss.backward();
    return {{{"loss.task", ctx.step == 3 ? std::numeric_limits<double>::quiet_NaN() : loss.item<double>()}}};
  }
  Metrics evaluate(const EvalContext&) override { return {{"score", 1.0}}; }

 private:
  torch::Tensor weight_;
};
GRAFT_REGISTER_METHOD(Diverging, "test_diverging", "test only: NaN loss at step 3");

/// Two parameters in two groups, stepped one group at a time with
/// ctx.update, as MCD and ADDA do: the group not named must not move, not
/// even by momentum or weight decay, and a name that is no group is an error.
class PhasedUpdates : public Strategy {
 public:
  using Options = NoOptions;
  explicit PhasedUpdates(Options) {}
  std::vector<StreamRequest> streams() const override { return {{"train", "source"}}; }
  void setup(const SetupContext&) override {
    first_ = register_parameter("first", torch::ones({1}));
    second_ = register_parameter("second", torch::ones({1}));
  }
  std::vector<ParameterGroup> parameter_groups() override { return {{"first", {first_}}, {"second", {second_}}}; }
  StepReport train_step(StepContext& ctx) override {
    // Step 0 moves both (momentum builds up for both); later steps only `first`.
    (first_ * first_ + second_ * second_).sum().backward();
    ctx.update(ctx.step == 0 ? std::vector<std::string>{} : std::vector<std::string>{"first"});
    if (ctx.step == 0) second_after_first_step = second_.item<double>();
    if (ctx.step == 2) ctx.update({"no_such_group"});
    return {{{"first", first_.item<double>()}, {"second", second_.item<double>()}}, false};
  }
  Metrics evaluate(const EvalContext&) override { return {{"score", 1.0}}; }
  static inline double second_after_first_step = 0;

 private:
  torch::Tensor first_, second_;
};
GRAFT_REGISTER_METHOD(PhasedUpdates, "test_phased_updates", "test only: ctx.update of one group");

/// OpenBLAS's pool size during a step, for the thread plan's test (0: no OpenBLAS).
int blas_threads_now() {
  using GetThreads = int (*)();
  const auto get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return get ? get() : 0;
}

/// A closed-form-like method that says its work is matrix products.
class MatrixProductWork : public Strategy {
 public:
  using Options = NoOptions;
  explicit MatrixProductWork(Options) {}
  std::vector<StreamRequest> streams() const override { return {{"train", "source"}}; }
  void setup(const SetupContext&) override {}
  std::vector<ParameterGroup> parameter_groups() override { return {}; }
  bool work_is_matrix_products() const override { return true; }
  StepReport train_step(StepContext&) override {
    return {{{"blas_threads", static_cast<double>(blas_threads_now())}}, false};
  }
  Metrics evaluate(const EvalContext&) override { return {{"score", 1.0}}; }
};
GRAFT_REGISTER_METHOD(MatrixProductWork, "test_matrix_product_work", "test only: work_is_matrix_products");

std::string experiment_yaml(const std::string& output) {
  return "name: t\noutput: " + output + R"(
data: {source: {name: two_moons}, target: {name: two_moons, rotation: 35}}
model: {name: mlp, hidden: [16]}
optimizer: {name: sgd, lr: 0.05}
steps: 120
eval_every: 40
checkpoint_every: 50
threads: 1
seeds: [0]
)";
}

void expect_same_table(const ScalarTable& a, const ScalarTable& b) {
  ASSERT_EQ(a.steps, b.steps);
  ASSERT_EQ(a.columns.size(), b.columns.size());
  for (const auto& [name, column] : a.columns) {
    const auto& other = b.columns.at(name);
    for (std::size_t i = 0; i < column.size(); ++i)
      EXPECT_TRUE(column[i] == other[i] || (std::isnan(column[i]) && std::isnan(other[i])))
          << name << "[" << i << "]: " << column[i] << " vs " << other[i];
  }
}

TEST(Trainer, AnUpdateOfSomeGroupsLeavesTheOthersAsTheyAre) {
  TempDir dir;
  const auto file = dir.write("e.yaml", experiment_yaml(dir.file("out")) + "method: {name: test_phased_updates}\n");
  const std::vector<std::string> sgd{"optimizer.lr=0.1", "optimizer.momentum=0.9", "optimizer.weight_decay=0.01"};
  std::vector<std::string> overrides = sgd;
  overrides.insert(overrides.end(), {"steps=2", "log_every=1"});
  const RunRecord r = train_run(load_experiment(file, overrides).runs[0], dir.file("run"), {false, ""});
  ASSERT_EQ(r.status, "finished") << r.message;
  const auto& first = r.train.columns.at("first");
  const auto& second = r.train.columns.at("second");
  EXPECT_LT(first[1], first[0]);  // `first` keeps moving
  EXPECT_LT(second[0], 1.0);      // both moved in step 0
  EXPECT_EQ(second[1], PhasedUpdates::second_after_first_step);  // then `second` stood still
  EXPECT_TRUE(r.train.columns.count("lr"));  // a step that updated through ctx.update logs its rate

  overrides = sgd;
  overrides.push_back("steps=3");
  const RunRecord bad = train_run(load_experiment(file, overrides).runs[0], dir.file("bad"), {false, ""});
  EXPECT_EQ(bad.status, "failed");
  EXPECT_NE(bad.message.find("no parameter group 'no_such_group'"), std::string::npos) << bad.message;
  EXPECT_NE(bad.message.find("first"), std::string::npos) << bad.message;
}

TEST(Trainer, SameSeedSameNumbers) {
  TempDir dir;
  const auto file = dir.write("e.yaml", experiment_yaml(dir.path()) + "method: {name: dann}\n");
  const Experiment e = load_experiment(file, {});
  const RunRecord first = train_run(e.runs[0], dir.file("a"), {false, ""});
  const RunRecord second = train_run(e.runs[0], dir.file("b"), {false, ""});
  ASSERT_EQ(first.status, "finished") << first.message;
  EXPECT_EQ(first.final_metrics, second.final_metrics);
  expect_same_table(first.train, second.train);
  const RunRecord other_seed = train_run(load_experiment(file, {"seeds=[1]"}).runs[0], dir.file("c"), {false, ""});
  EXPECT_NE(first.train.columns.at("loss.task"), other_seed.train.columns.at("loss.task"));
}

TEST(Trainer, DivergedRunIsMarkedFailedAndTheSweepGoesOn) {
  TempDir dir;
  const auto file = dir.write("e.yaml", experiment_yaml(dir.path()) +
                                            "variants:\n  bad: {method: {name: test_diverging}}\n"
                                            "  good: {method: {name: source_only}}\n");
  const SweepResult result = run_experiment(load_experiment(file, {}), {false});
  EXPECT_EQ(result.failed, 1);
  ASSERT_EQ(result.summary.rows.size(), 2u);
  EXPECT_EQ(result.summary.rows[0].failed, 1);
  EXPECT_NE(result.summary.rows[0].failure.find("'loss.task' became nan at step 3"), std::string::npos)
      << result.summary.rows[0].failure;
  EXPECT_EQ(result.summary.rows[1].finished, 1);
  const RunRecord bad = read_run_record(dir.file("t/runs/bad__seed0/run.h5"));
  EXPECT_EQ(bad.status, "failed");
}

// `threads: 1000` once trained ~1000x slower without a word.
TEST(Trainer, MoreThreadsThanCoresIsWarnedAbout) {
  TempDir dir;
  const auto file = dir.write("e.yaml", experiment_yaml(dir.path()) + "method: {name: source_only}\n");
  const std::string too_many = "threads=" + std::to_string(available_cores() + 1);
  ::testing::internal::CaptureStderr();
  const RunRecord r = train_run(load_experiment(file, {too_many, "steps=2"}).runs[0], dir.file("a"), {false, ""});
  const std::string warned = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(r.status, "finished") << r.message;
  EXPECT_NE(warned.find("warning: threads: " + std::to_string(available_cores() + 1)), std::string::npos) << warned;
  ::testing::internal::CaptureStderr();
  train_run(load_experiment(file, {"steps=2"}).runs[0], dir.file("b"), {false, ""});
  EXPECT_EQ(::testing::internal::GetCapturedStderr().find("warning"), std::string::npos);
}

// Alignment left half of a 2-core machine idle with OpenBLAS on its default
// single thread: a method whose work is matrix products gets libtorch's count.
TEST(Trainer, MatrixProductWorkGivesOpenBlasLibtorchsThreadCount) {
  if (blas_threads_now() == 0) GTEST_SKIP() << "not linked against OpenBLAS";
  TempDir dir;
  const auto file = dir.write("e.yaml", experiment_yaml(dir.path()) + "method: {name: test_matrix_product_work}\n");
  auto threads_seen = [&](const std::vector<std::string>& overrides, const std::string& name) {
    auto all = overrides;
    all.push_back("steps=1");
    const RunRecord r = train_run(load_experiment(file, all).runs[0], dir.file(name), {false, ""});
    EXPECT_EQ(r.status, "finished") << r.message;
    return r.train.last().at("blas_threads");
  };
  EXPECT_EQ(threads_seen({"threads=2"}, "a"), 2.0);
  EXPECT_EQ(threads_seen({"threads=2", "blas_threads=1"}, "b"), 1.0);  // an explicit setting wins
  EXPECT_EQ(threads_seen({"threads=1"}, "c"), 1.0);
}

TEST(Trainer, FinishedRunsAreNotRedoneButChangedConfigsAre) {
  TempDir dir;
  const auto file = dir.write("e.yaml", experiment_yaml(dir.path()) + "method: {name: source_only}\n");
  EXPECT_EQ(run_experiment(load_experiment(file, {}), {false}).trained, 1);
  const SweepResult again = run_experiment(load_experiment(file, {}), {false});
  EXPECT_EQ(again.trained, 0);
  EXPECT_EQ(again.reused, 1);
  EXPECT_EQ(run_experiment(load_experiment(file, {"optimizer.lr=0.01"}), {false}).trained, 1);
}

// fuzz_checkpoint found that a damaged type name in the archive throws
// torch::jit::ErrorReport (not c10::Error), which terminated graft, and that
// an archive without `steps_done` failed naming no file.
TEST(Trainer, ACheckpointIsReadAsAResumeReadsItAndEveryDamageNamesTheFile) {
  TempDir dir;
  const auto file = dir.write("e.yaml", experiment_yaml(dir.path()) + "method: {name: source_only}\n");
  const Experiment experiment = load_experiment(file, {});
  ASSERT_EQ(run_experiment(experiment, {false}).trained, 1);
  const std::string run_dir = experiment.output_dir + "/runs/" + experiment.runs[0].run_id;
  const std::string path = run_dir + "/checkpoint.pt";
  const std::string hash = read_run_record(run_dir + "/run.h5").config_hash;
  EXPECT_EQ(checkpoint_step(path, hash), std::optional<std::int64_t>(120));
  EXPECT_EQ(checkpoint_step(path, "another config"), std::nullopt);

  const auto error_of = [&](const std::string& damaged) {
    try {
      checkpoint_step(damaged, hash);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("read");
  };
  std::string bytes = *read_sealed_file(path, "checkpoint");
  const auto type_name = bytes.find("c__torch__\nModule\n");  // the pickle's GLOBAL opcode
  ASSERT_NE(type_name, std::string::npos);
  bytes[type_name + 14] = '`';  // "Mod`le": one byte of the class name
  const std::string renamed = dir.file("renamed.pt");
  write_sealed_file(renamed, bytes);  // sealed as damaged, so that libtorch reads it
  EXPECT_NE(error_of(renamed).find(renamed + ": damaged checkpoint"), std::string::npos) << error_of(renamed);
  // Damaged on disk, the seal refuses it before libtorch reads a byte.
  std::string on_disk = testing::read_text(path);
  on_disk[on_disk.size() / 2] ^= 0x10;
  const std::string flipped = dir.write("flipped.pt", on_disk);
  EXPECT_NE(error_of(flipped).find(flipped + ": damaged checkpoint (its CRC-32"), std::string::npos)
      << error_of(flipped);

  torch::serialize::OutputArchive no_step;
  no_step.write("config_hash", c10::IValue(hash));
  const std::string without = dir.file("without_step.pt");
  std::ostringstream no_step_bytes;
  no_step.save_to(no_step_bytes);
  write_sealed_file(without, no_step_bytes.str());
  EXPECT_NE(error_of(without).find(without + ": damaged checkpoint"), std::string::npos) << error_of(without);
}

TEST(Trainer, WritesResolvedConfigRecordAndSummaries) {
  TempDir dir;
  const auto file = dir.write("e.yaml", experiment_yaml(dir.path()) + "method: {name: source_only}\n");
  run_experiment(load_experiment(file, {}), {false});
  for (const char* name : {"t/experiment.yaml", "t/summary.md", "t/summary.csv", "t/runs/source_only__seed0/config.yaml",
                           "t/runs/source_only__seed0/run.h5", "t/runs/source_only__seed0/checkpoint.pt"})
    EXPECT_TRUE(std::filesystem::exists(dir.file(name))) << name;
  const RunRecord r = read_run_record(dir.file("t/runs/source_only__seed0/run.h5"));
  EXPECT_EQ(r.eval.steps, (std::vector<std::int64_t>{39, 79, 119}));
  EXPECT_GT(r.final_metrics.at("source.test_acc"), 0.5);
  EXPECT_GT(r.samples_per_s, 0);
  // Which kernel path made these numbers, so two records are compared knowingly.
  EXPECT_NE(r.runtime.find("ATen CPU capability " + aten_cpu_capability()), std::string::npos) << r.runtime;
}

}  // namespace
}  // namespace graft
