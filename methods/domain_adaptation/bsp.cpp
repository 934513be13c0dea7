#include "methods/domain_adaptation/bsp.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/error.h"
#include "core/registries.h"

namespace graft {

torch::Tensor largest_singular_values(const torch::Tensor& features, std::int64_t k) {
  GRAFT_CHECK(features.dim() == 2, "bsp", "the spectral penalty needs a [n, d] feature batch, got [{}]",
              fmt::join(features.sizes().vec(), "x"));
  const std::int64_t available = std::min(features.size(0), features.size(1));
  GRAFT_CHECK(k >= 1 && k <= available, "bsp",
              "k = {} but a {}x{} feature batch has {} singular values; set `k` between 1 and min(batch_size, "
              "feature width)",
              k, features.size(0), features.size(1), available);
  return torch::linalg_svdvals(features).slice(0, 0, k);  // svdvals are in descending order
}

torch::Tensor bsp_penalty(const torch::Tensor& features, std::int64_t k) {
  return largest_singular_values(features, k).pow(2).sum();
}

void Bsp::setup_extra(const SetupContext& ctx, std::int64_t feature_dim, std::int64_t classes) {
  // Fail at setup, not at the first step, when k can never fit.
  GRAFT_CHECK(options_.k <= feature_dim, "method 'bsp'",
              "k = {} but the features are {} wide, so a batch has at most {} singular values; lower `k`", options_.k,
              feature_dim, feature_dim);
  Dann::setup_extra(ctx, feature_dim, classes);
}

torch::Tensor Bsp::extra_term(const Forward& f, Metrics& scalars) {
  // Each domain's batch is penalised on its own (the authors' code, TLlib).
  // With bsp_weight 0 the spectrum is only measured, outside the graph, so
  // the gradients, and the whole run, are DANN's.
  const bool penalised = options_.bsp_weight > 0.0;
  const auto source_features = penalised ? f.source_features() : f.source_features().detach();
  const auto target_features = penalised ? f.target_features() : f.target_features().detach();
  const auto sigma_source = largest_singular_values(source_features, options_.k);
  const auto sigma_target = largest_singular_values(target_features, options_.k);
  const auto bsp = sigma_source.pow(2).sum() + sigma_target.pow(2).sum();
  scalars["loss.bsp"] = bsp.item<double>();
  // sigma_max: the largest singular value, averaged over the two domains,
  // what BSP shrinks and what its outcome test compares with DANN's.
  scalars["sigma_max"] = 0.5 * (sigma_source[0].item<double>() + sigma_target[0].item<double>());
  return penalised ? options_.bsp_weight * bsp : torch::Tensor();
}

GRAFT_REGISTER_METHOD(Bsp, "bsp", "DANN + a penalty on the largest singular values of the features (Chen et al. 2019)");

}  // namespace graft
