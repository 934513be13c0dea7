#include "core/models/pretrained.h"

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/registries.h"
#include "core/sealed_file.h"
#include "core/strategy.h"
#include "tests/methods/method_test_util.h"

namespace graft {
namespace {

using testing::TempDir;

/// Trains a tiny run and returns its folder.
std::string tiny_run(const TempDir& dir) {
  const auto file = dir.write("e.yaml", R"(name: pre
data: {source: {name: two_moons}}
model: {name: mlp, hidden: [8, 8]}
method: {name: source_only}
steps: 30
threads: 1
)");
  const RunRecord r = train_run(load_experiment(file, {}).runs[0], dir.file("pre"), {false, ""});
  EXPECT_EQ(r.status, "finished") << r.message;
  return dir.file("pre");
}

std::shared_ptr<Backbone> pretrained(const std::string& yaml, std::vector<std::int64_t> shape = {2}) {
  return model_registry().create(parse_config_text(yaml, "t"), "model", ModelContext{std::move(shape)});
}

TEST(Pretrained, GraftCheckpointGivesTheSourceModelsOutputs) {
  TempDir dir;
  const std::string run = tiny_run(dir);
  auto loaded = pretrained("{name: pretrained, run: " + run + "}");
  // The source model: the method restored from the same checkpoint.
  auto method = method_registry().create(parse_config_text("{name: source_only}", "t"), "method");
  SetupContext ctx;
  auto data = std::make_shared<DataSet>();
  data->name = "toy";
  data->input_shape = {2};
  data->num_classes = 2;
  ctx.domains["source"] = data;
  ctx.make_backbone = [](const std::vector<std::int64_t>& s) { return pretrained("{name: mlp, hidden: [8, 8]}", s); };
  method->setup(ctx);
  torch::serialize::InputArchive archive, strategy;
  const auto checkpoint = read_sealed_file(run + "/checkpoint.pt", "checkpoint");
  archive.load_from(checkpoint->data(), checkpoint->size());
  archive.read("strategy", strategy);
  method->load(strategy);
  const auto x = torch::randn({5, 2});
  EXPECT_TRUE(torch::equal(loaded->forward(x), method->features(x)));
}

TEST(Pretrained, MismatchedShapesNameTheParameters) {
  TempDir dir;
  const std::string run = tiny_run(dir);
  try {
    pretrained("{name: pretrained, run: " + run + "}", {1, 28, 28});
    FAIL();
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("layers.0.weight: checkpoint [8, 2] vs model [8, 784]"), std::string::npos) << m;
  }
}

TEST(Pretrained, MissingModuleAndMissingKeysAreNamed) {
  TempDir dir;
  const std::string run = tiny_run(dir);
  try {
    pretrained("{name: pretrained, run: " + run + ", module: encoder}");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no module 'encoder'; modules: backbone, head"), std::string::npos) << e.what();
  }
  torch::nn::Sequential bigger(torch::nn::Linear(2, 8), torch::nn::Linear(8, 8), torch::nn::Linear(8, 8));
  torch::serialize::OutputArchive out;
  torch::nn::Sequential(torch::nn::Linear(2, 8)).ptr()->save(out);
  out.save_to(dir.file("small.pt"));
  torch::serialize::InputArchive in;
  in.load_from(dir.file("small.pt"));
  try {
    load_module_checked(*bigger.ptr(), in, "small.pt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing module 1"), std::string::npos) << e.what();
  }
}

// A killed run's checkpoint is an intermediate state: transfer from it was
// silently from the wrong model. A damaged checkpoint once said only
// "PytorchStreamReader failed reading zip archive", naming no file.
TEST(Pretrained, AnUnfinishedRunOrADamagedCheckpointIsNamed) {
  TempDir dir;
  const std::string run = tiny_run(dir);
  RunRecord record = read_run_record(run + "/run.h5");
  record.status = "running";
  record.steps_done = 10;
  write_run_record(run + "/run.h5", record);
  auto message = [&] {
    try {
      pretrained("{name: pretrained, run: " + run + "}");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("loaded");
  };
  EXPECT_NE(message().find("the run is running (step 10 of 30), not finished"), std::string::npos) << message();
  record.status = "finished";
  write_run_record(run + "/run.h5", record);
  std::ofstream(run + "/checkpoint.pt", std::ios::trunc) << "not a checkpoint";
  EXPECT_NE(message().find(run + "/checkpoint.pt: damaged checkpoint"), std::string::npos) << message();
}

/// Exports a small module with Debian's python3-torch (the same libtorch).
std::string export_torchscript(const TempDir& dir, std::string& reference, std::string* cut_reference = nullptr) {
  const std::string script = dir.write("export.py", R"(import sys, torch
torch.manual_seed(0)
m = torch.jit.script(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3), torch.nn.Tanh()))
m.save(sys.argv[1])
x = torch.arange(8, dtype=torch.float32).view(2, 2, 2) / 8
print(" ".join("%.9g" % v for v in m(x).flatten().tolist()))
print(" ".join("%.9g" % v for v in m[1](m[0](x)).flatten().tolist()))  # cut at child "1": before the Tanh
)");
  const std::string command = "/usr/bin/python3 " + script + " " + dir.file("m.pt") + " > " + dir.file("ref.txt");
  if (std::system(command.c_str()) != 0) {
    ADD_FAILURE() << "exporting with /usr/bin/python3 failed: the tests need Debian's python3-torch "
                     "(third_party/install-debian-packages.sh installs it)";
    return "";
  }
  std::ifstream in(dir.file("ref.txt"));
  std::getline(in, reference);
  if (cut_reference) std::getline(in, *cut_reference);
  return dir.file("m.pt");
}

TEST(TorchScript, ModuleExportedFromPythonGivesItsOutputs) {
  TempDir dir;
  std::string reference;
  const std::string file = export_torchscript(dir, reference);
  ASSERT_FALSE(file.empty());
  auto backbone = pretrained("{name: torchscript, file: " + file + "}", {2, 2});
  EXPECT_EQ(backbone->feature_dim(), 3);
  EXPECT_EQ(backbone->parameters().size(), 2u);  // trainable through graft's optimizers
  const auto out = backbone->forward(torch::arange(8, torch::kFloat32).view({2, 2, 2}) / 8).flatten();
  std::istringstream values(reference);
  for (std::int64_t i = 0; i < out.numel(); ++i) {
    double v = 0;
    values >> v;
    EXPECT_NEAR(out[i].item<double>(), v, 1e-6) << i;
  }
}

TEST(TorchScript, CutAtAChildGivesThatChildsOutput) {
  TempDir dir;
  std::string reference, cut;
  const std::string file = export_torchscript(dir, reference, &cut);
  ASSERT_FALSE(file.empty());
  auto backbone = pretrained("{name: torchscript, file: " + file + ", cut_at: '1'}", {2, 2});
  const auto out = backbone->forward(torch::arange(8, torch::kFloat32).view({2, 2, 2}) / 8).flatten();
  std::istringstream values(cut);
  for (std::int64_t i = 0; i < out.numel(); ++i) {
    double v = 0;
    values >> v;
    EXPECT_NEAR(out[i].item<double>(), v, 1e-6) << i;
  }
  try {
    pretrained("{name: torchscript, file: " + file + ", cut_at: classifier}", {2, 2});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cut_at 'classifier' is not a top-level child"), std::string::npos) << e.what();
  }
}

TEST(TorchScript, BadFileIsAClearError) {
  TempDir dir;
  const auto path = dir.write("bad.pt", "not a module");
  try {
    pretrained("{name: torchscript, file: " + path + "}");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": cannot load TorchScript module"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace graft
