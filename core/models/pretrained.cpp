// Backbones that start from weights learned elsewhere: a graft run's
// checkpoint (`pretrained`), or a TorchScript module exported from Python
// with torch.jit.save (`torchscript`).
#include "core/models/pretrained.h"

#include <algorithm>

#include <filesystem>

#include <fmt/format.h>
#include <torch/script.h>

#include "core/error.h"
#include "core/experiment.h"
#include "core/model.h"
#include "core/registries.h"
#include "core/run_record.h"
#include "core/sealed_file.h"
#include "core/trainer.h"

namespace fs = std::filesystem;

namespace graft {

namespace {
void load_level(torch::nn::Module& module, torch::serialize::InputArchive& archive, const std::string& prefix,
                std::vector<std::string>& problems) {
  torch::NoGradGuard no_grad;
  auto check = [&](const std::string& name, torch::Tensor& target, bool buffer) {
    torch::Tensor stored;
    if (!archive.try_read(name, stored, buffer)) {
      problems.push_back(fmt::format("missing {}{}", prefix, name));
      return;
    }
    if (stored.sizes() != target.sizes()) {
      problems.push_back(fmt::format("{}{}: checkpoint [{}] vs model [{}]", prefix, name, fmt::join(stored.sizes(), ", "),
                                     fmt::join(target.sizes(), ", ")));
      return;
    }
    target.copy_(stored);
  };
  for (auto& p : module.named_parameters(/*recurse=*/false)) check(p.key(), p.value(), false);
  for (auto& b : module.named_buffers(/*recurse=*/false)) check(b.key(), b.value(), true);
  for (const auto& child : module.named_children()) {
    torch::serialize::InputArchive sub;
    if (!archive.try_read(child.key(), sub)) {
      problems.push_back(fmt::format("missing module {}{}", prefix, child.key()));
      continue;
    }
    load_level(*child.value(), sub, prefix + child.key() + ".", problems);
  }
}
}  // namespace

void load_module_checked(torch::nn::Module& module, torch::serialize::InputArchive& archive, const std::string& origin) {
  std::vector<std::string> problems;
  load_level(module, archive, "", problems);
  if (problems.empty()) return;
  std::string list;
  for (std::size_t i = 0; i < problems.size() && i < 20; ++i) list += "\n  " + problems[i];
  if (problems.size() > 20) list += fmt::format("\n  ... and {} more", problems.size() - 20);
  throw Error(fmt::format("{}: the checkpoint does not fit the model ({} problem(s)):{}", origin, problems.size(), list));
}

namespace {

struct PretrainedOptions {
  std::string run;         ///< a graft run folder: <output>/<experiment>/runs/<run_id>
  std::string experiment;  ///< or an experiment file, run first if needed...
  std::string variant;     ///< ...its variant...
  std::int64_t seed = 0;   ///< ...and seed
  std::string module = "backbone";
  static void declare(OptionSet<PretrainedOptions>& o) {
    o.add("run", &PretrainedOptions::run, "folder of a finished graft run (holds config.yaml and checkpoint.pt)")
        .path(PathKind::folder);
    o.add("experiment", &PretrainedOptions::experiment,
          "instead of `run`: an experiment file whose run (variant, seed) is used, trained first if missing")
        .path(PathKind::file);
    o.add("variant", &PretrainedOptions::variant, "with `experiment`: the variant (default: its only one)");
    o.add("seed", &PretrainedOptions::seed, "with `experiment`: the seed").min(0);
    o.add("module", &PretrainedOptions::module, "the method's module that is the backbone (backbone, encoder)");
  }
};

/// The run folder named by the options, training it first when it is an
/// experiment's run that has not finished.
std::string resolve_run_folder(const PretrainedOptions& o) {
  GRAFT_CHECK(o.run.empty() != o.experiment.empty(), "model 'pretrained'",
              "give exactly one of `run` (a run folder) and `experiment` (a file to run first)");
  if (!o.run.empty()) return o.run;
  const Experiment e = load_experiment(o.experiment, {});
  for (const auto& run : e.runs) {
    if ((!o.variant.empty() && run.variant != o.variant) || run.seed != o.seed) continue;
    if (o.variant.empty() && e.variants.size() > 1)
      throw Error(fmt::format("model 'pretrained': experiment {} has variants {}; name one with `variant`",
                              o.experiment, fmt::join(e.variants, ", ")));
    const std::string dir = e.output_dir + "/runs/" + run.run_id;
    bool finished = false;
    if (fs::exists(dir + "/run.h5")) {
      const RunRecord r = read_run_record(dir + "/run.h5");
      finished = r.status == "finished" && r.config_hash == run.resolved.hash();
    }
    if (!finished) {
      std::fprintf(stderr, "pretraining first: %s (%s)\n", o.experiment.c_str(), run.run_id.c_str());
      const RunRecord r = train_run(run, dir, {true, "[pretrain] " + run.run_id});
      GRAFT_CHECK(r.status == "finished", "model 'pretrained'", "pretraining run {} failed: {}", run.run_id, r.message);
    }
    return dir;
  }
  throw Error(fmt::format("model 'pretrained': experiment {} has no run with variant '{}' and seed {}; variants: {}",
                          o.experiment, o.variant, o.seed, fmt::join(e.variants, ", ")));
}

/// A backbone rebuilt from a graft run's config and loaded from its checkpoint.
class PretrainedBackbone : public Backbone {
 public:
  using Options = PretrainedOptions;
  PretrainedBackbone(Options o, const ModelContext& ctx) {
    const std::string dir = resolve_run_folder(o);
    const std::string config_path = dir + "/config.yaml", checkpoint_path = dir + "/checkpoint.pt";
    GRAFT_CHECK(fs::exists(config_path) && fs::exists(checkpoint_path), "model 'pretrained'",
                "{} is not a finished graft run (config.yaml and checkpoint.pt expected)", dir);
    const ConfigNode config = load_run_config(config_path);
    const ConfigNode* model = config.find("model");
    GRAFT_CHECK(model != nullptr, config_path, "the run has no `model:` to rebuild");
    net_ = register_module("net", model_registry().create(*model, "model", ctx));
    // Only a finished run's checkpoint is its final state: a killed run's is
    // an intermediate one and would start the transfer from the wrong model.
    const std::string record_path = dir + "/run.h5";
    GRAFT_CHECK(fs::exists(record_path), "model 'pretrained'", "{} has no run.h5: it is not a finished graft run", dir);
    const RunRecord record = read_run_record(record_path);
    GRAFT_CHECK(record.status == "finished", record_path,
                "the run is {} (step {} of {}), not finished: run its experiment again to finish it first",
                record.status, record.steps_done, record.total_steps);
    torch::serialize::InputArchive archive, strategy, part;
    try {
      const auto content = read_sealed_file(checkpoint_path, "checkpoint");
      if (content)
        archive.load_from(content->data(), content->size());
      else  // written before checkpoints were sealed: read as it is
        archive.load_from(checkpoint_path);
      archive.read("strategy", strategy);
    } catch (const Error& e) {
      throw Error(fmt::format("{} (or run its experiment again, after deleting the run folder {})", e.what(), dir));
    } catch (const std::exception& e) {
      throw Error(fmt::format("{}: damaged checkpoint ({}); run its experiment again (delete the run folder {} "
                              "first) to rebuild it",
                              checkpoint_path, library_message(e), dir));
    }
    if (!strategy.try_read(o.module, part))
      throw Error(fmt::format("{}: the method saved no module '{}'; modules: {}", checkpoint_path, o.module,
                              fmt::join(strategy.keys(), ", ")));
    load_module_checked(*net_, part, checkpoint_path);
    checkpoint_ = checkpoint_path;
  }
  torch::Tensor forward(const torch::Tensor& x) override { return net_->forward(x); }
  std::int64_t feature_dim() const override { return net_->feature_dim(); }
  std::string weights_file() const override { return checkpoint_; }

 private:
  std::shared_ptr<Backbone> net_;
  std::string checkpoint_;
};

struct TorchScriptOptions {
  std::string file;
  std::string cut_at;
  static void declare(OptionSet<TorchScriptOptions>& o) {
    o.add("file", &TorchScriptOptions::file, "a module saved with torch.jit.save; its forward gives the features")
        .path(PathKind::file);
    o.add("cut_at", &TorchScriptOptions::cut_at,
          "features = the output of this top-level child: the children run in order up to it (an nn.Sequential, "
          "or a torchvision-style net: `avgpool` of a ResNet); empty: the module's own forward");
  }
};

/// A TorchScript module as a backbone. Its parameters are registered here
/// (sharing storage), so optimizers, checkpoints and freezing see them.
class TorchScriptBackbone : public Backbone {
 public:
  using Options = TorchScriptOptions;
  TorchScriptBackbone(Options o, const ModelContext& ctx) {
    GRAFT_CHECK(!o.file.empty(), "model 'torchscript'", "`file` is required (a module saved with torch.jit.save)");
    try {
      module_ = torch::jit::load(o.file);
    } catch (const std::exception& e) {
      throw Error(fmt::format("{}: cannot load TorchScript module: {}", o.file, library_message(e)));
    }
    if (!o.cut_at.empty()) {
      std::vector<std::string> names;
      for (const auto& child : module_.named_children()) {
        names.push_back(child.name);
        if (stages_.empty() || stages_.back().first != o.cut_at) stages_.emplace_back(child.name, child.value);
      }
      if (std::find(names.begin(), names.end(), o.cut_at) == names.end())
        throw Error(fmt::format("{}: cut_at '{}' is not a top-level child of the module; {}", o.file, o.cut_at,
                                choices_hint(o.cut_at, names)));
    }
    for (const auto& p : module_.named_parameters(/*recurse=*/true)) register_parameter(mangle(p.name), p.value);
    for (const auto& b : module_.named_buffers(/*recurse=*/true)) register_buffer(mangle(b.name), b.value);
    std::vector<std::int64_t> shape{2};
    shape.insert(shape.end(), ctx.input_shape.begin(), ctx.input_shape.end());
    torch::NoGradGuard no_grad;
    module_.eval();
    try {
      feature_dim_ = forward(torch::zeros(shape)).size(1);
    } catch (const c10::Error& e) {
      throw Error(fmt::format("{}: the module does not accept inputs of shape [{}]: {}", o.file,
                              fmt::join(shape, ", "), e.what_without_backtrace()));
    }
    module_.train();
    file_ = o.file;
  }
  std::string weights_file() const override { return file_; }
  torch::Tensor forward(const torch::Tensor& x) override {
    if (stages_.empty()) return module_.forward({x}).toTensor().flatten(1);
    torch::Tensor h = x;
    for (auto& stage : stages_) h = stage.second.forward({h}).toTensor();
    return h.flatten(1);
  }
  std::int64_t feature_dim() const override { return feature_dim_; }
  void train(bool on = true) override {
    Backbone::train(on);
    module_.train(on);
  }

 private:
  static std::string mangle(std::string name) {
    for (auto& c : name)
      if (c == '.') c = '_';
    return name;
  }
  torch::jit::Module module_;
  std::vector<std::pair<std::string, torch::jit::Module>> stages_;  ///< children up to cut_at
  std::int64_t feature_dim_ = 0;
  std::string file_;
};

}  // namespace

GRAFT_REGISTER_MODEL(PretrainedBackbone, "pretrained", "a backbone from a graft run's checkpoint (run folder or experiment)");
GRAFT_REGISTER_MODEL(TorchScriptBackbone, "torchscript", "a TorchScript module exported from Python (torch.jit.save)");

}  // namespace graft
