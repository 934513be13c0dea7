#pragma once
// The Strategy interface: what every transfer method implements.
//
// CONTRACT
// --------
// The framework (core/trainer.cpp) owns the loop. For each run it
//   1. seeds every generator from the run's seed and sets the thread counts;
//   2. loads the data sets named under `data:` (one per domain, e.g. `source`,
//      `target`) and calls `setup()` once;
//   3. builds the optimizer over `parameter_groups()` (empty: no optimizer, the
//      method updates itself in closed form) and the learning-rate schedule;
//   4. builds one BatchStream per `streams()` entry (core/loader.h);
//   5. for step = 0 .. steps-1:
//        zero gradients; draw one batch from every stream;
//        report = train_step(ctx)            -- the method forms its losses
//                                               and gradients, or does a
//                                               closed-form update;
//        every reported scalar is logged; a non-finite one fails the run;
//        if report.apply_update: average gradients across processes (the one
//           place that does so), set the scheduled learning rates, step the
//           optimizer, then call after_update(ctx);
//        every eval_every steps and at the end: evaluate(ctx);
//        every checkpoint_every steps: save everything needed to resume.
//   Progress bars, HDF5 logs, resume, failure handling and tables are the
//   framework's; a method implements only what is specific to it.
//
// What a method must keep in mind:
//  * Register every module and tensor it learns with `register_module` /
//    `register_parameter` / `register_buffer` on this object: checkpoints,
//    device moves and train/eval mode follow those registrations.
//  * Put other state that a resumed run needs (loss histories, rounds done,
//    dictionaries) in save_extra/load_extra.
//  * Use only ctx.progress()/ctx.step for schedules: they count the run's real
//    steps, so a schedule is right for any `steps:` value.
//  * Draw randomness from torch's default generator (seeded by the framework,
//    saved in checkpoints), never from std::random_device or time.
//  * A method that needs the per-task gradients separately (PCGrad, MGDA)
//    computes them in train_step, combines them itself, and writes the result
//    into the parameters' .grad; ctx.reduce() averages tensors across processes
//    first, so that the combination sees global gradients.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/data.h"
#include "core/loader.h"
#include "core/model.h"
#include "core/tasks.h"

namespace graft {

using Metrics = std::map<std::string, double>;

/// A data stream a strategy asks the framework to feed it.
struct StreamRequest {
  std::string name;          ///< how train_step refers to the batch: ctx.batch(name)
  std::string domain;        ///< the `data:` entry it is drawn from
  std::string split = "train";
  bool labelled = true;      ///< false: targets are withheld (unlabelled target data)
};

/// Parameters that share a learning-rate factor (backbone x 0.1, heads x 1).
struct ParameterGroup {
  std::string name;
  std::vector<torch::Tensor> parameters;
  double lr_factor = 1.0;
};

/// The groups an optimizer is built over (the optimizer registry's argument).
struct ParameterGroups {
  std::vector<ParameterGroup> groups;
};

/// Given to setup(): the data and the means to build the configured model.
struct SetupContext {
  torch::Device device = torch::kCPU;
  std::int64_t total_steps = 0;
  std::uint64_t seed = 0;
  std::map<std::string, std::shared_ptr<const DataSet>> domains;
  /// The experiment's `tasks:` (empty for single-task experiments).
  std::vector<TaskSpec> tasks;
  /// Builds the backbone named under `model:` for inputs of this shape.
  std::function<std::shared_ptr<Backbone>(const std::vector<std::int64_t>& input_shape)> make_backbone;

  /// The domain or an error listing the domains that `data:` defines.
  const DataSet& domain(const std::string& name) const;
};

/// Given to train_step() and after_update().
struct StepContext {
  std::int64_t step = 0;         ///< 0-based index of this step
  std::int64_t total_steps = 0;  ///< the run's real number of steps
  std::int64_t epoch = 0;        ///< epochs completed by the first stream
  torch::Device device = torch::kCPU;
  std::map<std::string, Batch> batches;
  /// Averages tensors in place across data-parallel processes (no-op for one).
  std::function<void(std::vector<torch::Tensor>&)> reduce;
  /// Steps the optimizer now, as the framework does after train_step
  /// (gradients averaged across processes, the scheduled learning rates), on
  /// the parameter groups named only (all when empty): the others keep their
  /// values and optimizer state. Every gradient is cleared afterwards. For
  /// methods with several updates in one step (MCD's three phases, ADDA's
  /// discriminator and encoder), whose train_step then returns
  /// apply_update = false.
  std::function<void(const std::vector<std::string>& groups)> update;

  /// p in [0, 1], for schedules such as DANN's lambda.
  double progress() const;
  /// The batch of stream `name`, or an error naming the streams there are.
  const Batch& batch(const std::string& name) const;
};

/// Given to evaluate().
struct EvalContext {
  torch::Device device = torch::kCPU;
  std::int64_t step = 0;
  std::int64_t batch_size = 512;
  std::map<std::string, std::shared_ptr<const DataSet>> domains;
  std::string run_dir;  ///< the run's folder, for files a method exports
  bool final = false;   ///< true for the evaluation after the last step
  LoaderOptions loader; ///< how splits read from disk are decoded (core/loader.h)
};

/// What a step reports back.
struct StepReport {
  /// Scalars to log (losses, lambda, ...). Each must be finite.
  Metrics scalars;
  /// false for closed-form updates that set parameters themselves: the
  /// framework then does not step the optimizer.
  bool apply_update = true;
  /// Examples consumed, for throughput; 0 means "sum of the batch sizes".
  std::int64_t samples = 0;
};

class Strategy : public torch::nn::Module {
 public:
  ~Strategy() override = default;

  /// The data streams each step needs (none for closed-form methods).
  virtual std::vector<StreamRequest> streams() const = 0;
  /// Builds modules. Called once per run, before anything else.
  virtual void setup(const SetupContext& ctx) = 0;
  /// The parameters the optimizer updates; empty when there is no optimizer.
  virtual std::vector<ParameterGroup> parameter_groups() = 0;
  /// One step: losses and gradients (or a closed-form update).
  virtual StepReport train_step(StepContext& ctx) = 0;
  /// Called after the optimizer stepped (projections, orthogonalisation).
  virtual void after_update(StepContext& /*ctx*/) {}
  /// Metrics on held-out data, e.g. "target.test_acc".
  virtual Metrics evaluate(const EvalContext& ctx) = 0;
  /// The representation a plot of the feature space shows (source vs target
  /// before and after adaptation); undefined when the method has none.
  virtual torch::Tensor features(const torch::Tensor& /*inputs*/) { return {}; }
  /// True when nearly all of the method's work is large matrix products
  /// called outside libtorch's parallel regions (closed-form solves,
  /// similarity searches). OpenBLAS then gets as many threads as libtorch
  /// unless `blas_threads` says otherwise: on one thread it left half of a
  /// 2-core machine idle in alignment (148.9 s vs 84.9 s, README "Threads").
  /// A network's products run inside parallel regions, where a second pool
  /// oversubscribes the cores; hence false by default.
  virtual bool work_is_matrix_products() const { return false; }
  /// State beyond registered modules, for checkpoints.
  virtual void save_extra(torch::serialize::OutputArchive& /*archive*/) const {}
  virtual void load_extra(torch::serialize::InputArchive& /*archive*/) {}
};

/// Accuracy of `logits_fn` on every val/test split of every domain:
/// "<domain>.<split>_acc". The usual evaluate() of a classifier. On an
/// open-set domain (DataSet::unknown_class >= 0) also its open-set scores,
/// "<domain>.<split>_os_star", "_unk" and "_hos".
Metrics evaluate_classifier(const EvalContext& ctx, const std::function<torch::Tensor(const torch::Tensor&)>& logits_fn);

/// How open-set predictions score (TLlib's protocol; Saito et al. 2018 and
/// Bucci et al. 2020 for HOS): OS* is the mean over the known classes of
/// their accuracy, UNK the fraction of unknown examples called unknown, HOS
/// their harmonic mean (high only when both are). A prediction >= the
/// unknown label K counts as "unknown".
struct OpenSetScores {
  double os_star = 0, unk = 0, hos = 0;
};
/// Scores argmax predictions against labels whose unknown class is `unknown_class` (int64 CPU tensors).
OpenSetScores open_set_scores(const torch::Tensor& predicted, const torch::Tensor& labels, std::int64_t unknown_class);

/// Accuracy on one split, in batches, without gradients.
double classification_accuracy(const DataSet& data, const std::string& split,
                               const std::function<torch::Tensor(const torch::Tensor&)>& logits_fn,
                               const torch::Device& device, std::int64_t batch_size,
                               const LoaderOptions& loader = {});

}  // namespace graft
