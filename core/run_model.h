#pragma once
// A run's data and method rebuilt outside its training loop, for commands
// that look inside a finished run (`graft analyze`, core/analysis.h). Built
// by the same code as train_run, in the same order under the same seed, so
// the method starts from the very parameters the run started from.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/experiment.h"
#include "core/loader.h"
#include "core/plots.h"
#include "core/run_record.h"
#include "core/strategy.h"

namespace graft {

struct RunModel {
  SetupContext setup;                  ///< the domains' data sets, the device
  std::shared_ptr<Strategy> strategy;  ///< set up and on the device, at its initial parameters
  LoaderOptions loader;
};

/// Seeds the process with the run's seed, builds its data sets and its
/// method and sets the method up, as train_run does. `record`, when given,
/// gets the model, weights and class names train_run records.
RunModel build_run_model(const RunConfig& run, RunRecord* record = nullptr);

/// Loads the parameters of the finished run in `run_dir` (its checkpoint.pt,
/// saved after the last step) into `strategy`. An error naming the file when
/// the checkpoint is of another config or of an unfinished run.
void load_final_parameters(Strategy& strategy, const std::string& run_dir, const RunConfig& run);

/// The method's features of up to `count` examples of `split` of every
/// domain (domains without that split use "train"), in domain order; empty
/// when the method exposes no features.
std::vector<torch::Tensor> domain_features(Strategy& strategy,
                                           const std::map<std::string, std::shared_ptr<const DataSet>>& domains,
                                           const torch::Device& device, const LoaderOptions& loader,
                                           std::int64_t count = 500, const std::string& split = "test");

/// A scatter chart of 2-D points [N_d, 2], one series per domain.
Chart scatter_chart(const std::string& title, const std::string& x_label, const std::vector<torch::Tensor>& points,
                    const std::vector<std::string>& domain_names);

}  // namespace graft
