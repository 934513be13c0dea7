#include "methods/cross_lingual/self_learning.h"

#include <algorithm>

#include "core/registries.h"

namespace graft {
namespace {

/// sqrt(M M^T) = U S U^T for M = U S V^T, each row sorted, then normalised.
torch::Tensor sorted_similarity_rows(const torch::Tensor& m, const std::vector<std::string>& normalize) {
  auto [u, s, vh] = torch::linalg_svd(m.to(torch::kFloat64), /*full_matrices=*/false);
  auto rows = std::get<0>(torch::matmul(u * s.unsqueeze(0), u.t()).sort(1)).to(m.scalar_type());
  return normalize_embeddings(rows, normalize);
}

/// Each entry kept with probability `keep` (others 0), as in VecMap.
torch::Tensor drop(const torch::Tensor& m, double keep) {
  if (keep >= 1.0) return m;
  return m * (torch::rand(m.sizes(), m.options()) < keep).to(m.scalar_type());
}

IndexPairs union_of(const torch::Tensor& forward, const torch::Tensor& backward) {
  IndexPairs pairs;
  const auto f = forward.to(torch::kCPU).contiguous();
  const auto b = backward.to(torch::kCPU).contiguous();
  for (std::int64_t i = 0; i < f.size(0); ++i) pairs.emplace_back(i, f.data_ptr<std::int64_t>()[i]);
  for (std::int64_t j = 0; j < b.size(0); ++j) pairs.emplace_back(b.data_ptr<std::int64_t>()[j], j);
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  return pairs;
}

}  // namespace

void SelfLearningOptions::declare(OptionSet<SelfLearningOptions>& o) {
  using S = SelfLearningOptions;
  declare_alignment_options(o);
  o.add("init_vocab", &S::init_vocab, "most frequent words used for the similarity-distribution start").min(2);
  o.add("vocabulary_cutoff", &S::vocabulary_cutoff, "dictionary induction among this many most frequent words").min(2);
  o.add("keep_prob", &S::keep_prob, "initial probability of keeping a similarity (stochastic induction)")
      .above(0.0)
      .max(1.0);
  o.add("stochastic_multiplier", &S::stochastic_multiplier, "keep_prob grows by this factor after a plateau").above(1.0);
  o.add("stochastic_interval", &S::stochastic_interval, "iterations without improvement that make a plateau").min(1);
  o.add("threshold", &S::threshold, "smallest objective gain that counts as improvement").min(0.0);
}

void SelfLearning::setup(const SetupContext& ctx) {
  EmbeddingAlignment::setup(ctx);
  keep_prob_ = options_.keep_prob;
}

IndexPairs SelfLearning::initial_dictionary() const {
  torch::NoGradGuard no_grad;
  const std::int64_t n = std::min({options_.init_vocab, source_.size(0), target_.size(0)});
  const auto xs = sorted_similarity_rows(source_.narrow(0, 0, n), common_.normalize);
  const auto zs = sorted_similarity_rows(target_.narrow(0, 0, n), common_.normalize);
  auto sim = torch::matmul(xs, zs.t());
  const std::int64_t k = std::min(common_.csls_k, n);
  const auto r_forward = std::get<0>(sim.topk(k, 1)).mean(1);
  const auto r_backward = std::get<0>(sim.topk(k, 0)).mean(0);
  sim = sim - r_forward.unsqueeze(1) / 2 - r_backward.unsqueeze(0) / 2;  // CSLS, up to a factor
  return union_of(sim.argmax(1), sim.argmax(0));
}

StepReport SelfLearning::train_step(StepContext& ctx) {
  torch::NoGradGuard no_grad;
  StepReport report;
  report.apply_update = false;
  if (ctx.step == 0 && iteration_ == 0) {
    dictionary_pairs_ = initial_dictionary();
    solve_procrustes(dictionary_pairs_);
    report.scalars["dictionary_pairs"] = static_cast<double>(dictionary_pairs_.size());
    report.scalars["keep_prob"] = keep_prob_;
    ++iteration_;
    return report;
  }
  if (!converged_) {
    const std::int64_t c = std::min({options_.vocabulary_cutoff, source_.size(0), target_.size(0)});
    const auto s = mapped_source().narrow(0, 0, c);
    const auto t = target_.narrow(0, 0, c);
    const auto sim = torch::matmul(s, t.t());
    const std::int64_t k = std::min(common_.csls_k, c);
    const auto r_source = std::get<0>(sim.topk(k, 1)).mean(1);  // each source word's neighbourhood
    const auto r_target = std::get<0>(sim.topk(k, 0)).mean(0);  // each target word's
    // Per query, ranking by sim - r_other / 2 is ranking by CSLS.
    const auto forward = drop(sim - r_target.unsqueeze(0) / 2, keep_prob_).argmax(1);
    const auto backward = drop(sim - r_source.unsqueeze(1) / 2, keep_prob_).argmax(0);
    const double objective =
        (std::get<0>(sim.max(1)).mean().item<double>() + std::get<0>(sim.max(0)).mean().item<double>()) / 2;
    if (objective - best_objective_ >= options_.threshold) {
      best_objective_ = objective;
      last_improvement_ = iteration_;
    }
    if (iteration_ - last_improvement_ > options_.stochastic_interval) {
      if (keep_prob_ >= 1.0) converged_ = true;
      keep_prob_ = std::min(1.0, options_.stochastic_multiplier * keep_prob_);
      last_improvement_ = iteration_;
    }
    if (!converged_) {
      dictionary_pairs_ = union_of(forward, backward);
      solve_procrustes(dictionary_pairs_);
    }
    report.scalars["objective"] = objective;
    ++iteration_;
  }
  report.scalars["dictionary_pairs"] = static_cast<double>(dictionary_pairs_.size());
  report.scalars["keep_prob"] = keep_prob_;
  report.scalars["converged"] = converged_ ? 1.0 : 0.0;
  return report;
}

void SelfLearning::save_extra(torch::serialize::OutputArchive& archive) const {
  archive.write("state", torch::tensor({keep_prob_, best_objective_, static_cast<double>(iteration_),
                                        static_cast<double>(last_improvement_), converged_ ? 1.0 : 0.0},
                                       torch::kFloat64));
  std::vector<std::int64_t> flat;
  for (const auto& [a, b] : dictionary_pairs_) {
    flat.push_back(a);
    flat.push_back(b);
  }
  archive.write("dictionary", torch::tensor(flat, torch::kInt64));
}

void SelfLearning::load_extra(torch::serialize::InputArchive& archive) {
  torch::Tensor state, flat;
  archive.read("state", state);
  archive.read("dictionary", flat);
  const auto* v = state.data_ptr<double>();
  keep_prob_ = v[0];
  best_objective_ = v[1];
  iteration_ = static_cast<std::int64_t>(v[2]);
  last_improvement_ = static_cast<std::int64_t>(v[3]);
  converged_ = v[4] > 0.5;
  dictionary_pairs_.clear();
  for (std::int64_t i = 0; i + 1 < flat.numel(); i += 2)
    dictionary_pairs_.emplace_back(flat[i].item<std::int64_t>(), flat[i + 1].item<std::int64_t>());
}

GRAFT_REGISTER_METHOD(SelfLearning, "self_learning",
                      "fully unsupervised: similarity-distribution start, then stochastic CSLS self-learning "
                      "(VecMap, Artetxe et al. 2018)");

}  // namespace graft
