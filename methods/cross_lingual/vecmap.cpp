#include "methods/cross_lingual/vecmap.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/registries.h"

namespace graft {
namespace {

/// VecMap's recommended settings; the mode's own differences after.
void apply_mode(VecMapOptions& o, const std::string& mode) {
  o.normalize = {"unit", "center", "unit"};
  o.map = "multistep";
  o.whiten = true;
  o.src_reweight = 0.5;
  o.trg_reweight = 0.5;
  o.src_dewhiten = "src";
  o.trg_dewhiten = "trg";
  o.csls_k = 10;
  o.self_learning = mode != "supervised";
  o.init = mode == "supervised" || mode == "semi_supervised" ? "train" : mode;
  o.vocabulary_cutoff = 20000;
  o.init_vocab = 4000;
}

}  // namespace

VecMapOptions::VecMapOptions() { apply_mode(*this, mode); }

void VecMapOptions::declare(OptionSet<VecMapOptions>& o) {
  using V = VecMapOptions;
  o.add("mode", &V::mode,
        "VecMap's recommended settings, applied before the keys given beside it: supervised, semi_supervised, "
        "identical, unsupervised (see methods/cross_lingual/vecmap.h)")
      .choices({"supervised", "semi_supervised", "identical", "unsupervised"});
  std::map<std::string, std::function<void(V&)>> modes;
  for (const char* mode : {"supervised", "semi_supervised", "identical", "unsupervised"})
    modes[mode] = [mode = std::string(mode)](V& v) { apply_mode(v, mode); };
  o.presets("mode", &V::mode, std::move(modes));
  o.add("init", &V::init,
        "the first dictionary: train (the dictionary's train split), identical (same strings), numerals, "
        "unsupervised (sorted similarity distributions of the init_vocab most frequent words)")
      .choices({"train", "identical", "numerals", "unsupervised"});
  o.add("self_learning", &V::self_learning,
        "iterate: orthogonal map, then a new dictionary by stochastic CSLS induction, until converged");
  declare_self_learning_options(o);
  declare_mapping_recipe(o);
}

VecMap::VecMap(Options options) : SelfLearning(options), options_(std::move(options)) {
  check_mapping_recipe(options_);
}

void VecMap::setup(const SetupContext& ctx) {
  SelfLearning::setup(ctx);
  if (options_.map == "multistep") enable_target_mapping();
  if (options_.init == "train" && train_pairs_.empty())
    throw Error(fmt::format("method.init: train (mode {}), but '{}' has no train pair with both words in the "
                            "vocabularies; use mode: identical or unsupervised",
                            options_.mode, dictionary_->name));
}

IndexPairs VecMap::start_dictionary() const {
  if (options_.init == "train") return train_pairs_;
  if (options_.init == "unsupervised") return initial_dictionary();
  auto pairs = identical_strings(*source_data_, *target_data_, options_.init == "numerals");
  if (pairs.empty())
    throw Error(fmt::format("method.init: {} finds no word spelled alike in both vocabularies", options_.init));
  return pairs;
}

void VecMap::finish(const IndexPairs& dictionary) {
  set_maps(solve_mapping(source_, target_, dictionary, options_));
}

GRAFT_REGISTER_METHOD(VecMap, "vecmap",
                      "VecMap: supervised, semi-supervised, identical or unsupervised start, stochastic CSLS "
                      "self-learning, then whitening, re-weighting and de-whitening (Artetxe et al. 2018)");

}  // namespace graft
