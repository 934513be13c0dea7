#pragma once
// `graft analyze RUN...`: what adaptation did to a finished run's feature
// space, measured on its saved parameters (nothing is trained): the proxy
// A-distance between every two domains before and after training, and a
// t-SNE (or PCA) picture of both, written beside the run's files. The
// "before" model is rebuilt as the run built it (same seed, same order), so
// before and after are the same network on the same examples.
// Torch-free; the math is in core/feature_analysis.h.

#include <cstdint>
#include <string>
#include <vector>

namespace graft {

struct AnalysisOptions {
  std::int64_t examples = 1000;  ///< per domain, from `split` (the proxy A-distance uses equal numbers)
  std::string split = "test";
  std::string picture = "tsne";  ///< tsne | pca | none
  double perplexity = 30;
};

/// The proxy A-distance between two domains of a run, before and after training.
struct DomainDistance {
  std::string first, second;  ///< domain names, in `data:` order
  double before = 0, after = 0;
  double error_before = 0, error_after = 0;  ///< the domain classifier's test errors
  std::int64_t per_domain = 0;               ///< examples of each domain used
};

struct RunAnalysis {
  std::string run_dir;
  std::string experiment, variant;
  std::int64_t seed = 0;
  std::vector<DomainDistance> distances;  ///< every two domains (none for a run with one)
  std::string picture;                    ///< the file written, or ""
  std::vector<std::string> notes;         ///< what the reader should know (a start not rebuilt exactly)
};

/// The run folders below `paths` (a run's folder, a results folder or a
/// folder above several): each folder holding a run.h5, sorted, once each.
std::vector<std::string> find_run_folders(const std::vector<std::string>& paths);

/// Analyzes the finished run in `run_dir`. Errors name the file when the run
/// is not finished, its data are missing, or its method has no features.
RunAnalysis analyze_run(const std::string& run_dir, const AnalysisOptions& options);

/// One row per run and two domains, then the mean +- std per variant where a
/// variant has several seeds.
std::string format_analysis_table(const std::vector<RunAnalysis>& runs);

}  // namespace graft
