// The framework-owned training loop (contract in core/strategy.h).
#include "core/config.h"
#include "core/trainer.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <torch/torch.h>

#include "core/distributed.h"
#include "core/error.h"
#include "core/plots.h"
#include "core/process.h"
#include "core/progress.h"
#include "core/registries.h"
#include "core/runtime.h"
#include "core/schedule.h"
#include "core/sealed_file.h"
#include "core/run_model.h"
#include "core/strategy.h"

namespace fs = std::filesystem;

namespace graft {
namespace {

using Clock = std::chrono::steady_clock;

/// The one place where gradients would be summed across data-parallel
/// processes. With one process there is nothing to do.
/// Gradients are averaged over the data-parallel processes (core/distributed.h).
void reduce_across_processes(std::vector<torch::Tensor>& tensors) { average_across_processes(tensors); }

/// This process's equal share of a global batch (all ranks draw the same one).
Batch slice_for_rank(const Batch& global, int rank, int world) {
  const std::int64_t share = global.size() / world;
  if (share == 0) throw DistributedError("a batch is smaller than the number of data-parallel processes");
  Batch local;
  local.inputs = global.inputs.narrow(0, rank * share, share);
  for (const auto& [name, t] : global.targets) local.targets[name] = t.narrow(0, rank * share, share);
  return local;
}

std::vector<torch::Tensor> gradients_of(const std::vector<ParameterGroup>& groups) {
  std::vector<torch::Tensor> grads;
  for (const auto& group : groups)
    for (const auto& p : group.parameters)
      if (p.grad().defined()) grads.push_back(p.grad());
  return grads;
}

void check_finite(const Metrics& scalars, std::int64_t step, std::int64_t total) {
  for (const auto& [name, value] : scalars)
    if (!std::isfinite(value))
      throw RunFailed(fmt::format("'{}' became {} at step {} of {}: training diverged. Lower optimizer.lr, "
                                  "check the inputs for NaN, or add a schedule with warm-up",
                                  name, value, step, total));
}

std::string loss_status(const Metrics& scalars) {
  std::string status;
  for (const auto& [name, value] : scalars)
    if (name.rfind("loss", 0) == 0 && status.size() < 60) status += fmt::format("{}={:.4f} ", name, value);
  return status;
}

struct Checkpoint {
  std::int64_t steps_done = 0;
  std::int64_t samples = 0;
  double elapsed_s = 0;
};

/// Kill tests stop a real process at a named point of the loop
/// (GRAFT_KILL_AT=<point>, tests/core/kill_resume_test.cpp): the windows
/// between writing a run's files are where a resume can go wrong.
void kill_point(const char* point) {
  const char* at = std::getenv("GRAFT_KILL_AT");
  if (at && std::strcmp(at, point) == 0) ::raise(SIGKILL);
}

/// A checkpoint read from disk once: the step it was saved at, and the
/// archive the live objects are restored from (restore_checkpoint).
struct SavedCheckpoint {
  std::int64_t steps_done = 0;
  torch::serialize::InputArchive archive;
};

/// Reads `path`; null when it belongs to another config. (A pointer, not an
/// optional: InputArchive's copy constructor takes a non-const reference,
/// which std::optional cannot hold under clang.)
std::unique_ptr<SavedCheckpoint> read_checkpoint(const std::string& path, const std::string& config_hash) {
  auto saved = std::make_unique<SavedCheckpoint>();
  // Every read is guarded: an archive that loads but lacks a key, or holds
  // another type under it, is as damaged as one that does not load.
  try {
    const auto content = read_sealed_file(path, "checkpoint");
    if (!content) {
      std::fprintf(stderr, "%s: written by an earlier graft, without a seal; training again from step 0\n",
                   path.c_str());
      return nullptr;
    }
    saved->archive.load_from(content->data(), content->size());
    c10::IValue value;
    saved->archive.read("config_hash", value);
    if (!value.isString() || value.toStringRef() != config_hash) return nullptr;
    saved->archive.read("steps_done", value);
    GRAFT_CHECK(value.isInt() && value.toInt() >= 0, path, "damaged checkpoint (steps_done is not a step count); "
                "delete it to start the run afresh");
    saved->steps_done = value.toInt();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(fmt::format("{}: damaged checkpoint ({}); delete it to start the run afresh", path,
                            library_message(e)));
  }
  return saved;
}

/// The record a run resumes with: the run's run.h5, when it reaches the
/// checkpoint's step (the loop writes the record before the checkpoint, so
/// an intact pair always does). Otherwise the steps between them would be
/// missing from the curves, and at the last step the final evaluation from
/// the metrics; the run is then trained again from step 0 (same seed, same
/// numbers), and the reason printed.
std::optional<RunRecord> record_to_resume(const std::string& record_path, std::int64_t checkpoint_step,
                                          const std::string& label) {
  std::string why;
  std::optional<RunRecord> partial;
  if (!fs::exists(record_path)) {
    why = fmt::format("{} is missing", record_path);
  } else {
    try {
      partial = read_run_record(record_path);
      if (partial->steps_done < checkpoint_step)
        why = fmt::format("{} ends at step {}, before the checkpoint's step {}", record_path, partial->steps_done,
                          checkpoint_step);
    } catch (const Error& e) {
      why = e.what();
    }
  }
  if (why.empty()) return partial;
  std::fprintf(stderr, "%s%scannot resume from the checkpoint at step %lld: %s; training again from step 0\n",
               label.c_str(), label.empty() ? "" : " ", static_cast<long long>(checkpoint_step), why.c_str());
  return std::nullopt;
}

void save_checkpoint(const std::string& path, const std::string& config_hash, const Checkpoint& progress,
                     Strategy& strategy, torch::optim::Optimizer* optimizer, const std::vector<BatchStream>& streams) {
  torch::serialize::OutputArchive archive;
  archive.write("config_hash", c10::IValue(config_hash));
  archive.write("steps_done", c10::IValue(progress.steps_done));
  archive.write("samples", c10::IValue(progress.samples));
  archive.write("elapsed_s", c10::IValue(progress.elapsed_s));
  torch::serialize::OutputArchive strategy_archive;
  strategy.save(strategy_archive);
  strategy.save_extra(strategy_archive);
  archive.write("strategy", strategy_archive);
  if (optimizer) {
    torch::serialize::OutputArchive optimizer_archive;
    optimizer->save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
  }
  std::vector<std::int64_t> positions;
  for (const auto& s : streams) {
    positions.push_back(s.epoch());
    positions.push_back(s.position());
  }
  archive.write("streams", torch::tensor(positions, torch::kInt64));
  archive.write("rng", at::detail::getDefaultCPUGenerator().get_state());
  std::ostringstream content;
  archive.save_to(content);
  write_sealed_file(path, content.str());
}

void restore_from_archive(SavedCheckpoint& saved, const std::string& path, Checkpoint& progress, Strategy& strategy,
                          torch::optim::Optimizer* optimizer, std::vector<BatchStream>& streams);

/// Restores the live objects from a checkpoint read from `path`; a key that
/// is missing or of another type is an error naming the file.
void restore_checkpoint(SavedCheckpoint& saved, const std::string& path, Checkpoint& progress, Strategy& strategy,
                        torch::optim::Optimizer* optimizer, std::vector<BatchStream>& streams) {
  try {
    restore_from_archive(saved, path, progress, strategy, optimizer, streams);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(fmt::format("{}: damaged checkpoint ({}); delete it to start the run afresh", path,
                            library_message(e)));
  }
}

void restore_from_archive(SavedCheckpoint& saved, const std::string& path, Checkpoint& progress, Strategy& strategy,
                          torch::optim::Optimizer* optimizer, std::vector<BatchStream>& streams) {
  torch::serialize::InputArchive& archive = saved.archive;
  progress.steps_done = saved.steps_done;
  c10::IValue value;
  archive.read("samples", value);
  progress.samples = value.toInt();
  archive.read("elapsed_s", value);
  progress.elapsed_s = value.toDouble();
  torch::serialize::InputArchive strategy_archive;
  archive.read("strategy", strategy_archive);
  strategy.load(strategy_archive);
  strategy.load_extra(strategy_archive);
  if (optimizer) {
    torch::serialize::InputArchive optimizer_archive;
    archive.read("optimizer", optimizer_archive);
    optimizer->load(optimizer_archive);
  }
  torch::Tensor positions;
  archive.read("streams", positions);
  GRAFT_CHECK(positions.numel() == static_cast<std::int64_t>(2 * streams.size()), path,
              "checkpoint has {} stream positions, the method asks for {} streams", positions.numel() / 2,
              streams.size());
  for (std::size_t i = 0; i < streams.size(); ++i)
    streams[i].restore(positions[2 * i].item<std::int64_t>(), positions[2 * i + 1].item<std::int64_t>());
  torch::Tensor rng;
  archive.read("rng", rng);
  at::Generator generator = at::detail::getDefaultCPUGenerator();  // a handle to the global one
  generator.set_state(rng);
}

/// The first two principal components of the pooled features, one series per domain.
Chart pca_chart(const std::string& title, const std::vector<torch::Tensor>& features,
                const std::vector<std::string>& domain_names) {
  if (features.empty()) return Chart{title, "principal component 1", {}, true};
  const auto all = torch::cat(features);
  const auto centred = all - all.mean(0, true);
  const auto v = std::get<2>(torch::linalg_svd(centred, false));
  const auto projected = torch::matmul(centred, v.slice(0, 0, 2).t());
  std::vector<torch::Tensor> parts;
  std::int64_t row = 0;
  for (const auto& f : features) {
    parts.push_back(projected.slice(0, row, row + f.size(0)));
    row += f.size(0);
  }
  return scatter_chart(title, "principal component 1", parts, domain_names);
}

}  // namespace

Chart scatter_chart(const std::string& title, const std::string& x_label, const std::vector<torch::Tensor>& points,
                    const std::vector<std::string>& domain_names) {
  Chart chart{title, x_label, {}, true};
  for (std::size_t d = 0; d < points.size(); ++d) {
    const auto xy = points[d].to(torch::kCPU, torch::kFloat64).contiguous();
    const auto x = xy.select(1, 0).contiguous(), y = xy.select(1, 1).contiguous();
    chart.series.push_back({domain_names.at(d), std::vector<double>(x.data_ptr<double>(), x.data_ptr<double>() + x.numel()),
                            std::vector<double>(y.data_ptr<double>(), y.data_ptr<double>() + y.numel())});
  }
  return chart;
}

std::vector<torch::Tensor> domain_features(Strategy& strategy,
                                           const std::map<std::string, std::shared_ptr<const DataSet>>& domains,
                                           const torch::Device& device, const LoaderOptions& loader,
                                           std::int64_t count, const std::string& split) {
  torch::NoGradGuard no_grad;
  strategy.eval();
  std::vector<torch::Tensor> out;
  for (const auto& [name, data] : domains) {
    // Sets without examples to plot (a vocabulary's dictionary) are left out.
    if (!data->has_split(split) && !data->has_split("train")) continue;
    std::vector<torch::Tensor> parts;
    bool none = false;
    for_each_batch(*data, data->has_split(split) ? split : "train", count, device, loader,
                   [&](const Batch& batch) {
                     auto f = strategy.features(batch.inputs);
                     if (!f.defined()) none = true;
                     else parts.push_back(f.flatten(1).to(torch::kCPU, torch::kFloat64));
                   },
                   count);
    if (none) {
      out.clear();
      break;
    }
    out.push_back(torch::cat(parts));
  }
  strategy.train();
  return out;
}

RunModel build_run_model(const RunConfig& run, RunRecord* record) {
  seed_everything(static_cast<std::uint64_t>(run.seed));
  RunModel built;
  SetupContext& setup = built.setup;
  setup.device = torch::Device(resolve_device(run.device));
  setup.total_steps = run.steps;
  setup.seed = static_cast<std::uint64_t>(run.seed);
  setup.tasks = run.tasks;
  built.loader = LoaderOptions{run.workers, run.prefetch};

  // Data: one data set per domain, generated or loaded from the cache.
  DataContext data_ctx{static_cast<std::uint64_t>(run.seed), data_cache_dir()};
  for (const auto& [domain, node] : run.data) {
    data_ctx.domain = domain;
    setup.domains[domain] = dataset_registry().create(node, "data." + domain, data_ctx);
    if (record && !setup.domains[domain]->class_names.empty())
      record->classes[domain] = setup.domains[domain]->class_names;
  }
  setup.make_backbone = [model = run.model, record](const std::vector<std::int64_t>& input_shape) -> std::shared_ptr<Backbone> {
    if (model.is_null())
      throw Error("this method builds a backbone, but the experiment has no `model:`; add one, e.g. "
                  "model: {name: mlp, hidden: [64]}; models: " + choices_hint("", model_registry().names()));
    auto backbone = model_registry().create(model, "model", ModelContext{input_shape});
    // A table row says which pretrained model produced it.
    if (record) {
      record->model = model_registry().component_name(model, "model");
      record->weights = backbone->weights_file();
      record->weights_sha256 = record->weights.empty() ? "" : sha256_of_file(record->weights);
    }
    return backbone;
  };

  built.strategy = method_registry().create(run.method, "method");
  built.strategy->setup(setup);
  built.strategy->to(setup.device);
  return built;
}

void load_final_parameters(Strategy& strategy, const std::string& run_dir, const RunConfig& run) {
  const std::string path = run_dir + "/checkpoint.pt";
  GRAFT_CHECK(fs::exists(path), run_dir, "no checkpoint.pt: the run kept no parameters (checkpoint_every: 0?)");
  const auto saved = read_checkpoint(path, run_identity(run.resolved));
  GRAFT_CHECK(saved != nullptr, path, "saved for another config than the run's config.yaml");
  GRAFT_CHECK(saved->steps_done == run.steps, path,
              "saved at step {} of {}: the run is not finished; run its experiment again to finish it",
              saved->steps_done, run.steps);
  try {
    torch::serialize::InputArchive strategy_archive;
    saved->archive.read("strategy", strategy_archive);
    strategy.load(strategy_archive);
    strategy.load_extra(strategy_archive);
  } catch (const std::exception& e) {
    throw Error(fmt::format("{}: damaged checkpoint ({})", path, library_message(e)));
  }
}

std::optional<std::int64_t> checkpoint_step(const std::string& path, const std::string& config_hash) {
  const auto saved = read_checkpoint(path, config_hash);
  if (!saved) return std::nullopt;
  return saved->steps_done;
}

RunRecord train_run(const RunConfig& run, const std::string& results_dir, const TrainOptions& options) {
  // Data-parallel: rank 0 writes the results; the other ranks resume from
  // rank 0's checkpoint and write their own files to a scratch folder.
  const int rank = process_rank(), world = process_count();
  const std::string run_dir =
      rank == 0 ? results_dir
                : (fs::temp_directory_path() / fmt::format("graft-rank{}-{}", rank, getpid()) / run.run_id).string();
  struct ScratchCleanup {
    std::string dir;
    ~ScratchCleanup() {
      std::error_code ignored;
      if (!dir.empty()) fs::remove_all(fs::path(dir).parent_path(), ignored);
    }
  } cleanup{rank == 0 ? "" : run_dir};
  if (world > 1 && run.batch_size % world != 0)
    throw ConfigError(fmt::format("batch_size {} does not divide by the {} data-parallel processes; each process "
                                  "trains on an equal slice of the global batch",
                                  run.batch_size, world));
  const std::string record_path = run_dir + "/run.h5";
  const std::string checkpoint_path = run_dir + "/checkpoint.pt";
  const std::string resume_path = results_dir + "/checkpoint.pt";
  const std::string resume_record_path = results_dir + "/run.h5";
  RunRecord record;
  record.experiment = run.experiment;
  record.variant = run.variant;
  record.run_id = run.run_id;
  record.seed = run.seed;
  record.config_yaml = run.resolved.to_yaml();
  record.config_hash = run_identity(run.resolved);
  record.total_steps = run.steps;
  write_file_atomically(run_dir + "/config.yaml", record.config_yaml);

  Checkpoint progress;
  const auto segment_start = Clock::now();
  auto elapsed = [&] { return progress.elapsed_s + std::chrono::duration<double>(Clock::now() - segment_start).count(); };
  try {
    configure_threads(plan_threads(run.threads, run.blas_threads));
    // More threads than cores wait on each other at every barrier of every
    // step: the run is many times slower, and nothing else would say why.
    if (const int cores = available_cores(); run.threads > cores || run.blas_threads > cores)
      std::fprintf(stderr,
                   "%s%swarning: threads: %lld, blas_threads: %lld, but this process may use %d core(s); threads "
                   "beyond the cores wait on each other at every step and make training many times slower "
                   "(threads: 0 takes what there is)\n",
                   options.label.c_str(), options.label.empty() ? "" : " ", static_cast<long long>(run.threads),
                   static_cast<long long>(run.blas_threads), cores);
    record.runtime = runtime_versions();
    RunModel built = build_run_model(run, &record);
    const SetupContext& setup = built.setup;
    const torch::Device device = setup.device;
    const std::shared_ptr<Strategy> strategy = built.strategy;
    if (run.blas_threads == 0 && strategy->work_is_matrix_products())
      configure_threads(plan_threads(run.threads, run.blas_threads, /*matrix_product_work=*/true));
    const std::vector<ParameterGroup> groups = strategy->parameter_groups();
    std::shared_ptr<torch::optim::Optimizer> optimizer;
    std::vector<double> base_lr;
    if (!groups.empty()) {
      optimizer = optimizer_registry().create(run.optimizer, "optimizer", ParameterGroups{groups});
      for (std::size_t i = 0; i < groups.size(); ++i)
        base_lr.push_back(optimizer->param_groups()[i].options().get_lr() * groups[i].lr_factor);
    }
    const auto schedule = schedule_registry().create(run.schedule, "schedule");

    // One stream per request; each gets its own seed so adding a stream does
    // not change the order of the others.
    const std::vector<StreamRequest> requests = strategy->streams();
    const LoaderOptions loader{run.workers, run.prefetch};
    std::vector<BatchStream> streams;
    streams.reserve(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
      const DataSet& data = setup.domain(requests[i].domain);
      StreamOptions stream;
      stream.batch_size = run.batch_size;
      stream.seed = static_cast<std::uint64_t>(run.seed) * 7919ULL + i + 1;
      stream.labelled = requests[i].labelled;
      stream.sampler = run.sampler;
      stream.loader = loader;
      streams.emplace_back(data, requests[i].split, stream, device);
    }

    EvalContext eval_ctx;
    eval_ctx.device = device;
    eval_ctx.batch_size = run.eval_batch_size;
    eval_ctx.domains = setup.domains;
    eval_ctx.run_dir = run_dir;
    eval_ctx.loader = loader;

    // The feature space before training, for the before/after plot; kept on
    // disk so that a resumed run still has it.
    const std::string initial_features_path = run_dir + "/features_init.pt";
    std::vector<torch::Tensor> initial_features;

    // Resume where a killed run left off, when its record reaches the checkpoint.
    std::int64_t first_step = 0;
    std::unique_ptr<SavedCheckpoint> saved;
    std::optional<RunRecord> partial;
    if (fs::exists(resume_path)) saved = read_checkpoint(resume_path, record.config_hash);
    if (saved) partial = record_to_resume(resume_record_path, saved->steps_done, options.label);
    if (partial) {
      restore_checkpoint(*saved, resume_path, progress, *strategy, optimizer.get(), streams);
      first_step = progress.steps_done;
      record.train = partial->train;
      record.eval = partial->eval;
      record.train.truncate_from(first_step);
      record.eval.truncate_from(first_step);
      std::fprintf(stderr, "%s%sresumed from step %lld of %lld\n", options.label.c_str(),
                   options.label.empty() ? "" : " ", static_cast<long long>(first_step),
                   static_cast<long long>(run.steps));
    }

    if (first_step == 0) {
      initial_features = domain_features(*strategy, setup.domains, device, loader);
      if (!initial_features.empty()) {
        std::ostringstream content;
        torch::save(initial_features, content);
        write_sealed_file(initial_features_path, content.str());
      }
    } else if (fs::exists(initial_features_path)) {
      try {
        const auto content = read_sealed_file(initial_features_path, "feature sample");
        if (!content) throw Error("written by an earlier graft, without a seal");
        torch::load(initial_features, content->data(), content->size());
      } catch (const std::exception& e) {
        // Only the picture needs it: the run goes on without the "before" half.
        std::fprintf(stderr, "%s: cannot be used (%s); features.svg is left out for this run\n",
                     initial_features_path.c_str(), library_message(e).c_str());
        initial_features.clear();
      }
    }

    // The one optimizer update: gradients averaged across processes, the
    // scheduled learning rates, a step.
    bool optimizer_stepped = false;  // in this step: its learning rate is logged
    auto step_optimizer = [&](std::int64_t step) {
      optimizer_stepped = true;
      std::vector<torch::Tensor> grads = gradients_of(groups);
      reduce_across_processes(grads);
      const double factor = schedule->factor(step, run.steps);
      for (std::size_t i = 0; i < base_lr.size(); ++i)
        optimizer->param_groups()[i].options().set_lr(base_lr[i] * factor);
      optimizer->step();
    };
    StepContext ctx;
    ctx.total_steps = run.steps;
    ctx.device = device;
    ctx.reduce = reduce_across_processes;
    ctx.update = [&](const std::vector<std::string>& names) {
      GRAFT_CHECK(optimizer, "ctx.update", "this method has no parameter groups, so there is no optimizer to step");
      std::vector<std::string> valid;
      for (const auto& group : groups) valid.push_back(group.name);
      for (const auto& name : names)
        GRAFT_CHECK(std::find(valid.begin(), valid.end(), name) != valid.end(), "ctx.update",
                    "no parameter group '{}'; {}", name, choices_hint(name, valid));
      // Parameters without a gradient are skipped by every torch optimizer
      // (no weight decay, no momentum): the groups not named stay as they are.
      for (auto& group : groups)
        if (!names.empty() && std::find(names.begin(), names.end(), group.name) == names.end())
          for (auto& p : group.parameters) p.mutable_grad() = torch::Tensor();
      step_optimizer(ctx.step);
      for (auto& group : groups)
        for (auto& p : group.parameters) p.mutable_grad() = torch::Tensor();
    };
    ProgressBar bar(options.label, run.steps, options.progress);
    strategy->train();
    // Time spent drawing batches vs whole training steps (evaluation and
    // checkpoints excluded): the loader must keep the step fed.
    double data_seconds = 0, step_seconds = 0;
    for (std::int64_t step = first_step; step < run.steps; ++step) {
      const auto step_start = Clock::now();
      ctx.step = step;
      ctx.epoch = streams.empty() ? 0 : streams.front().epoch();
      std::int64_t batch_samples = 0;
      for (std::size_t i = 0; i < streams.size(); ++i) {
        Batch batch = streams[i].next();
        if (world > 1) batch = slice_for_rank(batch, rank, world);
        batch_samples += batch.size();
        ctx.batches[requests[i].name] = std::move(batch);
      }
      data_seconds += std::chrono::duration<double>(Clock::now() - step_start).count();
      if (optimizer) optimizer->zero_grad();
      optimizer_stepped = false;

      StepReport report = strategy->train_step(ctx);
      check_finite(report.scalars, step, run.steps);

      if (report.apply_update && optimizer) {
        step_optimizer(step);
        strategy->after_update(ctx);
      }
      if (optimizer_stepped) report.scalars["lr"] = base_lr.empty() ? 0.0 : base_lr[0] * schedule->factor(step, run.steps);
      progress.samples += report.samples > 0 ? report.samples : batch_samples;
      progress.steps_done = step + 1;
      step_seconds += std::chrono::duration<double>(Clock::now() - step_start).count();
      record.data_time_fraction = step_seconds > 0 ? data_seconds / step_seconds : 0.0;
      record.step_time_s = step_seconds;

      const bool last = step + 1 == run.steps;
      if (step % run.log_every == 0 || last) record.train.append(step, report.scalars);
      if ((run.eval_every > 0 && (step + 1) % run.eval_every == 0) || last) {
        strategy->eval();
        eval_ctx.step = step;
        eval_ctx.final = last;
        record.eval.append(step, strategy->evaluate(eval_ctx));
        strategy->train();
      }
      // The last step is always checkpointed: a `pretrained` model loads it.
      if ((run.checkpoint_every > 0 && (step + 1) % run.checkpoint_every == 0) || last) {
        // The record first (at the last step with the final evaluation): a
        // resumed run trims it back to the checkpoint, and refuses one that
        // does not reach it (record_to_resume).
        record.steps_done = progress.steps_done;
        record.samples = progress.samples;
        record.wall_time_s = elapsed();
        write_run_record(record_path, record);
        if (last) kill_point("final-record");
        Checkpoint snapshot = progress;
        snapshot.elapsed_s = elapsed();
        save_checkpoint(checkpoint_path, record.config_hash, snapshot, *strategy, optimizer.get(), streams);
        if (last) kill_point("final-checkpoint");
        // Mid-run, at a step a test names: every method's resume is checked
        // from the same place (tests/methods/domain_adaptation/every_method_test.cpp).
        if (!last) kill_point(fmt::format("checkpoint-{}", step + 1).c_str());
      }
      bar.update(step + 1, loss_status(report.scalars));
    }
    // A run is finished only with its final evaluation recorded.
    if (record.eval.steps.empty() || record.eval.steps.back() != run.steps - 1)
      throw RunFailed(fmt::format("the evaluation of the last step ({}) is missing from the record; delete {} to train "
                                  "the run again", run.steps - 1, run_dir));
    record.final_metrics = record.eval.last();
    record.status = "finished";
    const auto final_features = domain_features(*strategy, setup.domains, device, loader);
    if (!final_features.empty() && initial_features.size() == final_features.size()) {
      const auto names = keys_of(setup.domains);
      write_file_atomically(run_dir + "/features.svg",
                            render_svg(fmt::format("{} — {} (seed {}): features, PCA of the test sets", run.experiment,
                                                   run.variant, run.seed),
                                       {pca_chart("before training", initial_features, names),
                                        pca_chart("after training", final_features, names)},
                                       2));
    }
    bar.finish(fmt::format("done, data {:.1f}% of step time {}", 100 * record.data_time_fraction,
                           loss_status(record.train.last())));
  } catch (const RunFailed& e) {
    record.status = "failed";
    record.message = e.what();
  } catch (const ConfigError&) {
    throw;  // a wrong experiment file fails every run alike: stop the sweep
  } catch (const DataMissing&) {
    throw;  // likewise missing data
  } catch (const DistributedError&) {
    throw;  // a peer is gone: nothing more can run
  } catch (const c10::Error& e) {
    record.status = "failed";
    record.message = e.what_without_backtrace();
  } catch (const std::exception& e) {
    record.status = "failed";
    record.message = e.what();
  }
  record.steps_done = progress.steps_done;
  record.samples = progress.samples;
  record.wall_time_s = elapsed();
  record.steps_per_s = record.wall_time_s > 0 ? progress.steps_done / record.wall_time_s : 0;
  record.samples_per_s = record.wall_time_s > 0 ? progress.samples / record.wall_time_s : 0;
  write_run_record(record_path, record);
  write_file_atomically(run_dir + "/curves.svg", run_curves_svg(record));
  return record;
}

}  // namespace graft
