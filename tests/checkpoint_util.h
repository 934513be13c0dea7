#pragma once
// The parameters a run's checkpoint holds, by name, for tests that compare
// two runs' end states (data-parallel against one process).

#include <map>
#include <string>

#include <torch/torch.h>

#include "core/sealed_file.h"

namespace graft::testing {

inline void collect_archive(torch::serialize::InputArchive& archive, const std::string& prefix,
                            std::map<std::string, torch::Tensor>& out) {
  for (const auto& key : archive.keys()) {
    torch::Tensor tensor;
    if (archive.try_read(key, tensor)) {
      out[prefix + key] = tensor;
      continue;
    }
    torch::serialize::InputArchive nested;
    if (archive.try_read(key, nested)) collect_archive(nested, prefix + key + ".", out);
  }
}

/// Every tensor of the strategy in <run_dir>/checkpoint.pt ("backbone.0.weight", ...).
inline std::map<std::string, torch::Tensor> checkpoint_parameters(const std::string& run_dir) {
  torch::serialize::InputArchive archive, strategy;
  const auto checkpoint = read_sealed_file(run_dir + "/checkpoint.pt", "checkpoint");
  archive.load_from(checkpoint->data(), checkpoint->size());
  archive.read("strategy", strategy);
  std::map<std::string, torch::Tensor> out;
  collect_archive(strategy, "", out);
  return out;
}

}  // namespace graft::testing
