#include "methods/fine_tuning/linear_probe.h"

#include <gtest/gtest.h>

#include "core/models/pretrained.h"
#include "core/registries.h"
#include "core/sealed_file.h"
#include "methods/fine_tuning/finetune.h"
#include "tests/methods/method_test_util.h"

namespace graft {
namespace {

TEST(LinearProbe, FreezingReallyFreezes) {
  // Same seed: the backbone starts from the same weights in both runs, so
  // after training the frozen run's backbone must equal a fresh one exactly.
  FullFineTune fresh(FullFineTuneOptions{});
  LinearProbeOptions options;
  LinearProbe probe(options);
  for (auto* method : std::vector<FineTune*>{&fresh, &probe}) {
    torch::manual_seed(3);
    SetupContext ctx;
    auto data = std::make_shared<DataSet>();
    data->name = "toy";
    data->input_shape = {2};
    data->num_classes = 2;
    Split split;
    split.inputs = torch::randn({8, 2});
    split.targets["label"] = torch::tensor({0, 1, 0, 1, 0, 1, 0, 1}, torch::kInt64);
    data->splits["train"] = split;
    ctx.domains["target"] = data;
    ctx.make_backbone = [](const std::vector<std::int64_t>& shape) {
      return model_registry().create(parse_config_text("{name: mlp, hidden: [4]}", "t"), "model", ModelContext{shape});
    };
    method->setup(ctx);
  }
  // The linear probe offers only the head to the optimizer...
  const auto groups = probe.parameter_groups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].name, "head");
  // ...and its backbone gets no gradient from a step.
  StepContext step;
  step.total_steps = 1;
  Batch batch;
  batch.inputs = torch::randn({4, 2});
  batch.targets["label"] = torch::tensor({0, 1, 0, 1}, torch::kInt64);
  step.batches["train"] = batch;
  probe.train_step(step);
  for (const auto& p : probe.named_parameters()) {
    if (p.key().rfind("backbone", 0) == 0) {
      EXPECT_FALSE(p.value().grad().defined()) << p.key();
    }
  }
}

constexpr const char* kTwoMoons = R"(name: probe
data: {target: {name: two_moons}}
model: {name: mlp, hidden: [16, 16]}
optimizer: {name: sgd, lr: 0.05, momentum: 0.9}
steps: 50
threads: 1
checkpoint_every: 0
)";

TEST(LinearProbeOutcome, LeavesTheBackboneUnchangedThroughARun) {
  testing::TempDir dir;
  const auto file = dir.write("e.yaml", std::string(kTwoMoons) + "method: {name: linear_probe}\n");
  const Experiment e = load_experiment(file, {});
  const RunRecord r = train_run(e.runs[0], dir.file("run"), {false, ""});
  ASSERT_EQ(r.status, "finished") << r.message;
  // The backbone as the run initialised it (same seed, nothing drawn before it)...
  torch::manual_seed(0);
  const auto initial = model_registry().create(e.runs[0].model, "model", ModelContext{{2}});
  // ...equals the backbone in the final checkpoint.
  torch::manual_seed(99);
  auto trained = model_registry().create(e.runs[0].model, "model", ModelContext{{2}});
  torch::serialize::InputArchive archive, strategy, backbone;
  const auto checkpoint = read_sealed_file(dir.file("run/checkpoint.pt"), "checkpoint");
  archive.load_from(checkpoint->data(), checkpoint->size());
  archive.read("strategy", strategy);
  strategy.read("backbone", backbone);
  load_module_checked(*trained, backbone, "checkpoint");
  const auto a = initial->parameters(), b = trained->parameters();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << i;
  EXPECT_GT(r.final_metrics.at("target.test_acc"), 0.6);  // the head did learn
}

}  // namespace
}  // namespace graft
