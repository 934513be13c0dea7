#include "methods/cross_lingual/procrustes.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/registries.h"
#include "datasets/word_vectors.h"

namespace graft {

void ProcrustesOptions::declare(OptionSet<ProcrustesOptions>& o) {
  declare_alignment_options(o);
  o.add("seed", &ProcrustesOptions::seed,
        "seed dictionary: train (the dictionary's train split), identical (same strings), numerals, file")
      .choices({"train", "identical", "numerals", "file"});
  o.add("seed_path", &ProcrustesOptions::seed_path, "MUSE-format seed dictionary, for seed: file")
      .path(PathKind::file);
  o.add("max_rank", &ProcrustesOptions::max_rank, "refinement rounds induce pairs among this many most frequent words")
      .min(1);
}

void Procrustes::setup(const SetupContext& ctx) {
  EmbeddingAlignment::setup(ctx);
  if (options_.seed == "train") {
    if (!dictionary_->word_pairs.count("train"))
      throw Error(fmt::format("method.seed: train, but '{}' has no train split; use seed: identical or numerals",
                              dictionary_->name));
    seed_ = train_pairs_;
  } else if (options_.seed == "file") {
    if (options_.seed_path.empty()) throw Error("method.seed: file needs method.seed_path (a MUSE-format dictionary)");
    seed_ = to_index_pairs(read_muse_dictionary(options_.seed_path), *source_data_, *target_data_);
  } else {
    seed_ = identical_strings(*source_data_, *target_data_, options_.seed == "numerals");
  }
  if (seed_.empty())
    throw Error(fmt::format("method.seed: {} gives no pair with both words in the vocabularies", options_.seed));
}

StepReport Procrustes::train_step(StepContext& ctx) {
  StepReport report;
  report.apply_update = false;  // closed form
  const IndexPairs pairs = ctx.step == 0 ? seed_ : induce_dictionary(options_.max_rank);
  solve_procrustes(pairs);
  report.scalars["dictionary_pairs"] = static_cast<double>(pairs.size());
  report.samples = static_cast<std::int64_t>(pairs.size());
  return report;
}

GRAFT_REGISTER_METHOD(Procrustes, "procrustes",
                      "orthogonal map from a seed dictionary (train/identical/numerals/file), then CSLS refinement "
                      "rounds, one per step after the first (Conneau et al. 2018)");

}  // namespace graft
