#include "methods/cross_lingual/self_learning.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include <ATen/Parallel.h>

#include "core/registries.h"

namespace graft {
namespace {

/// sqrt(M M^T) = U S U^T for M = U S V^T, each row sorted, then normalised.
torch::Tensor sorted_similarity_rows(const torch::Tensor& m, const std::vector<std::string>& normalize) {
  auto [u, s, vh] = torch::linalg_svd(m.to(torch::kFloat64), /*full_matrices=*/false);
  auto rows = std::get<0>(torch::matmul(u * s.unsqueeze(0), u.t()).sort(1)).to(m.scalar_type());
  return normalize_embeddings(rows, normalize);
}

/// SplitMix64's finaliser: a well-mixed 64-bit value of a counter.
inline std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// The k largest values seen, unordered, with the position of the smallest:
/// a new value costs one comparison unless it enters.
class TopK {
 public:
  explicit TopK(float* slots, std::int64_t k) : slots_(slots), k_(k) { std::fill(slots, slots + k, -INFINITY); }
  float floor() const { return slots_[lowest_]; }
  void offer(float v) {
    if (v <= slots_[lowest_]) return;
    slots_[lowest_] = v;
    lowest_ = static_cast<std::int64_t>(std::min_element(slots_, slots_ + k_) - slots_);
  }
  double mean() const {
    double sum = 0;
    for (std::int64_t i = 0; i < k_; ++i) sum += slots_[i];
    return sum / static_cast<double>(k_);
  }

 private:
  float* slots_;
  std::int64_t k_, lowest_ = 0;
};

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

InducedDictionary induce_stochastic_csls(const torch::Tensor& sim, std::int64_t k, double keep_prob,
                                         std::uint64_t seed) {
  TORCH_CHECK(sim.dim() == 2 && sim.scalar_type() == torch::kFloat32 && sim.device().is_cpu(),
              "induce_stochastic_csls expects a float32 CPU matrix");
  const auto matrix = sim.contiguous();
  const float* data = matrix.data_ptr<float>();
  const std::int64_t n = matrix.size(0), m = matrix.size(1);
  k = std::min({k, n, m});
  // Rows split into one chunk per thread; column statistics per chunk, merged after.
  const std::int64_t chunks = std::max<std::int64_t>(1, std::min<std::int64_t>(at::get_num_threads(), n));
  auto chunk_rows = [&](std::int64_t c) { return std::make_pair(c * n / chunks, (c + 1) * n / chunks); };
  const bool dropping = keep_prob < 1.0;
  // One SplitMix64 draw per entry (the generator's stream from `seed`, at the
  // entry's index): its high half decides the forward keep, its low half the
  // backward one, each kept below keep_prob of the 32-bit range.
  const auto threshold = static_cast<std::uint64_t>(std::ldexp(std::min(keep_prob, 1.0), 32));

  // Pass 1: row and column top-k means and maxima.
  std::vector<double> r_source(n), row_max(n), r_target(m), column_max(m, -INFINITY);
  std::vector<std::vector<float>> column_slots(chunks, std::vector<float>(m * k)), column_best(chunks);
  at::parallel_for(0, chunks, 1, [&](std::int64_t first, std::int64_t last) {
    std::vector<float> row_slots(k);
    for (std::int64_t c = first; c < last; ++c) {
      auto& slots = column_slots[c];
      std::vector<TopK> columns;
      columns.reserve(m);
      for (std::int64_t j = 0; j < m; ++j) columns.emplace_back(slots.data() + j * k, k);
      auto& best = column_best[c];
      best.assign(m, -INFINITY);
      const auto [begin, end] = chunk_rows(c);
      for (std::int64_t i = begin; i < end; ++i) {
        const float* row = data + i * m;
        TopK top(row_slots.data(), k);
        float high = -INFINITY;
        for (std::int64_t j = 0; j < m; ++j) {
          const float v = row[j];
          top.offer(v);
          high = std::max(high, v);
          columns[j].offer(v);
          best[j] = std::max(best[j], v);
        }
        r_source[i] = top.mean();
        row_max[i] = high;
      }
    }
  });
  std::vector<float> merged(k);
  for (std::int64_t j = 0; j < m; ++j) {
    TopK top(merged.data(), k);
    for (std::int64_t c = 0; c < chunks; ++c) {
      for (std::int64_t q = 0; q < k; ++q) top.offer(column_slots[c][j * k + q]);
      column_max[j] = std::max<double>(column_max[j], column_best[c][j]);
    }
    r_target[j] = top.mean();
  }
  column_slots.clear();

  // Pass 2: forward argmax per row; backward running argmax per column and chunk.
  auto forward = torch::empty({n}, torch::kInt64);
  auto* f = forward.data_ptr<std::int64_t>();
  std::vector<std::vector<float>> back_value(chunks);
  std::vector<std::vector<std::int64_t>> back_row(chunks);
  std::vector<float> half_r_target(m);
  for (std::int64_t j = 0; j < m; ++j) half_r_target[j] = static_cast<float>(r_target[j] / 2);
  at::parallel_for(0, chunks, 1, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t c = first; c < last; ++c) {
      auto& value = back_value[c];
      auto& arg = back_row[c];
      value.assign(m, -INFINITY);
      arg.assign(m, 0);
      const auto [begin, end] = chunk_rows(c);
      for (std::int64_t i = begin; i < end; ++i) {
        const float* row = data + i * m;
        const float half_r_source = static_cast<float>(r_source[i] / 2);
        float best = -INFINITY;
        std::int64_t best_j = 0;
        for (std::int64_t j = 0; j < m; ++j) {
          const std::uint64_t draw = dropping ? mix(seed + static_cast<std::uint64_t>(i * m + j)) : 0;
          const bool keep_forward = !dropping || (draw >> 32) < threshold;
          const bool keep_backward = !dropping || (draw & 0xFFFFFFFFULL) < threshold;
          const float forward_value = keep_forward ? row[j] - half_r_target[j] : 0.0f;
          if (forward_value > best) best = forward_value, best_j = j;
          const float backward_value = keep_backward ? row[j] - half_r_source : 0.0f;
          if (backward_value > value[j]) value[j] = backward_value, arg[j] = i;
        }
        f[i] = best_j;
      }
    }
  });
  auto backward = torch::empty({m}, torch::kInt64);
  auto* b = backward.data_ptr<std::int64_t>();
  for (std::int64_t j = 0; j < m; ++j) {
    float best = -INFINITY;
    for (std::int64_t c = 0; c < chunks; ++c)  // earlier rows win ties, as argmax's first maximum
      if (back_value[c][j] > best) best = back_value[c][j], b[j] = back_row[c][j];
  }
  double forward_sum = 0, backward_sum = 0;
  for (const double v : row_max) forward_sum += v;
  for (const double v : column_max) backward_sum += v;
  return {forward, backward, (forward_sum / static_cast<double>(n) + backward_sum / static_cast<double>(m)) / 2};
}

void SelfLearningOptions::declare(OptionSet<SelfLearningOptions>& o) { declare_self_learning_options(o); }

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
    dictionary_pairs_ = start_dictionary();
    if (self_learns()) {
      solve_procrustes(dictionary_pairs_);
    } else {
      finish(dictionary_pairs_);
      converged_ = true;
    }
    report.scalars["dictionary_pairs"] = static_cast<double>(dictionary_pairs_.size());
    report.scalars["keep_prob"] = keep_prob_;
    report.scalars["converged"] = converged_ ? 1.0 : 0.0;
    report.samples = static_cast<std::int64_t>(dictionary_pairs_.size());
    ++iteration_;
    return report;
  }
  if (!converged_) {
    const std::int64_t c = std::min({options_.vocabulary_cutoff, source_.size(0), target_.size(0)});
    const auto s = mapped_source().narrow(0, 0, c);
    const auto t = target_.narrow(0, 0, c);
    // The one [c, c] matrix of the iteration; the induction reads it twice.
    if (!similarity_.defined() || similarity_.size(0) != c || similarity_.options().dtype() != s.options().dtype() ||
        similarity_.device() != s.device())
      similarity_ = torch::empty({c, c}, s.options());
    torch::mm_out(similarity_, s, t.t());
    const auto sim = similarity_.to(torch::kCPU, torch::kFloat32);
    // The drop pattern's seed comes from the run's generator, so a resumed run draws the same.
    const auto seed = static_cast<std::uint64_t>(torch::randint(std::int64_t{1} << 62, {1}, torch::kInt64).item<std::int64_t>());
    const auto induced = induce_stochastic_csls(sim, common_.csls_k, keep_prob_, seed);
    const auto& forward = induced.forward;
    const auto& backward = induced.backward;
    const double objective = induced.objective;
    if (objective - best_objective_ >= options_.threshold) {
      best_objective_ = objective;
      last_improvement_ = iteration_;
    }
    if (iteration_ - last_improvement_ > options_.stochastic_interval) {
      if (keep_prob_ >= 1.0) {
        converged_ = true;
        similarity_ = torch::Tensor();  // no iteration needs it again
        finish(dictionary_pairs_);  // VecMap: the last solve on the last dictionary
      }
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
  report.samples = static_cast<std::int64_t>(dictionary_pairs_.size());
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
