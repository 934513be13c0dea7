#include "methods/cross_lingual/alignment.h"

#include <algorithm>
#include <limits>
#include <cctype>
#include <map>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "core/error.h"
#include "datasets/word_vectors.h"

namespace graft {
namespace {

/// Rows per batch so that a [rows, n] float matrix stays near 256 MB.
std::int64_t batch_rows(std::int64_t requested, std::int64_t columns) {
  if (requested > 0) return requested;
  return std::max<std::int64_t>(1, (std::int64_t{1} << 26) / std::max<std::int64_t>(1, columns));
}

}  // namespace

torch::Tensor normalize_embeddings(torch::Tensor matrix, const std::vector<std::string>& steps) {
  for (const auto& step : steps) {
    if (step == "unit") {
      matrix = matrix / matrix.norm(2, {1}, true).clamp_min(1e-8);
    } else if (step == "center") {
      matrix = matrix - matrix.mean(0, true);
    } else {
      throw Error(fmt::format("unknown normalisation step '{}'; valid: unit, center", step));
    }
  }
  return matrix;
}

torch::Tensor mean_topk_similarity(const torch::Tensor& queries, const torch::Tensor& keys, std::int64_t k,
                                   std::int64_t rows) {
  torch::NoGradGuard no_grad;
  const std::int64_t n = queries.size(0), step = batch_rows(rows, keys.size(0));
  k = std::min<std::int64_t>(k, keys.size(0));
  auto out = torch::empty({n}, queries.options());
  for (std::int64_t i = 0; i < n; i += step) {
    const auto block = queries.narrow(0, i, std::min(step, n - i));
    out.narrow(0, i, block.size(0)).copy_(std::get<0>(torch::matmul(block, keys.t()).topk(k, 1)).mean(1));
  }
  return out;
}

torch::Tensor retrieve(const torch::Tensor& queries, const torch::Tensor& keys, std::int64_t k,
                       const std::string& method, const torch::Tensor& r_queries, const torch::Tensor& r_keys,
                       std::int64_t rows) {
  torch::NoGradGuard no_grad;
  if (method != "nn" && method != "csls") throw Error("retrieval method '" + method + "'; valid: nn, csls");
  if (method == "csls" && (!r_queries.defined() || !r_keys.defined()))
    throw Error("CSLS retrieval needs the neighbourhood terms r_queries and r_keys");
  const std::int64_t n = queries.size(0), step = batch_rows(rows, keys.size(0));
  k = std::min<std::int64_t>(k, keys.size(0));
  auto out = torch::empty({n, k}, torch::kInt64);
  for (std::int64_t i = 0; i < n; i += step) {
    const std::int64_t m = std::min(step, n - i);
    auto scores = torch::matmul(queries.narrow(0, i, m), keys.t());
    if (method == "csls") scores = 2 * scores - r_queries.narrow(0, i, m).unsqueeze(1) - r_keys.unsqueeze(0);
    out.narrow(0, i, m).copy_(std::get<1>(scores.topk(k, 1)));
  }
  return out;
}

torch::Tensor procrustes(const torch::Tensor& source, const torch::Tensor& target, const IndexPairs& pairs) {
  torch::NoGradGuard no_grad;
  if (pairs.empty()) throw Error("Procrustes needs at least one dictionary pair; the seed dictionary is empty");
  std::vector<std::int64_t> s, t;
  for (const auto& [a, b] : pairs) {
    s.push_back(a);
    t.push_back(b);
  }
  const auto x = source.index_select(0, torch::tensor(s)).to(torch::kFloat64);
  const auto y = target.index_select(0, torch::tensor(t)).to(torch::kFloat64);
  // Double precision: the SVD of a 300x300 product is cheap, and float32
  // loses the exactness the recovery test checks.
  auto [u, sigma, vh] = torch::linalg_svd(torch::matmul(y.t(), x), /*full_matrices=*/false);
  return torch::matmul(u, vh).to(source.scalar_type());
}

double precision_at_k(const torch::Tensor& retrieved, const std::vector<std::vector<std::int64_t>>& gold,
                      std::int64_t k) {
  if (gold.empty()) return 0.0;
  const auto r = retrieved.to(torch::kCPU).contiguous();
  const auto* data = r.data_ptr<std::int64_t>();
  const std::int64_t width = r.size(1);
  k = std::min(k, width);
  std::int64_t hits = 0;
  for (std::size_t i = 0; i < gold.size(); ++i) {
    const auto* row = data + i * width;
    hits += std::any_of(row, row + k,
                        [&](std::int64_t c) { return std::find(gold[i].begin(), gold[i].end(), c) != gold[i].end(); });
  }
  return 100.0 * static_cast<double>(hits) / static_cast<double>(gold.size());
}

IndexPairs induce_mutual_csls(const torch::Tensor& mapped_source, const torch::Tensor& target, std::int64_t max_rank,
                              std::int64_t k, std::int64_t rows) {
  torch::NoGradGuard no_grad;
  const auto s = mapped_source.narrow(0, 0, std::min(max_rank, mapped_source.size(0)));
  const auto t = target.narrow(0, 0, std::min(max_rank, target.size(0)));
  // Neighbourhoods over the whole vocabularies, as in retrieval.
  const auto r_s = mean_topk_similarity(s, target, k, rows);
  const auto r_t = mean_topk_similarity(t, mapped_source, k, rows);
  // CSLS(x, y) = 2 cos - r_s(x) - r_t(y) is one matrix for both directions:
  // one pass over it in row blocks gives the forward best per row and, by a
  // running maximum, the backward best per column.
  const std::int64_t ns = s.size(0), nt = t.size(0), step = batch_rows(rows, nt);
  auto forward = torch::empty({ns}, torch::kInt64);
  auto best_score = torch::full({nt}, -std::numeric_limits<float>::infinity(), s.options());
  auto best_row = torch::zeros({nt}, torch::kInt64);
  for (std::int64_t i = 0; i < ns; i += step) {
    const std::int64_t m = std::min(step, ns - i);
    const auto scores = 2 * torch::matmul(s.narrow(0, i, m), t.t()) - r_s.narrow(0, i, m).unsqueeze(1) - r_t.unsqueeze(0);
    forward.narrow(0, i, m).copy_(scores.argmax(1));
    auto [column_max, column_arg] = scores.max(0);
    const auto better = column_max > best_score;
    best_score = torch::where(better, column_max, best_score);
    best_row = torch::where(better.to(torch::kCPU), column_arg.to(torch::kCPU) + i, best_row);
  }
  const auto* f = forward.data_ptr<std::int64_t>();
  const auto* b = best_row.data_ptr<std::int64_t>();
  IndexPairs pairs;
  for (std::int64_t i = 0; i < ns; ++i)
    if (b[f[i]] == i) pairs.emplace_back(i, f[i]);
  return pairs;
}

double mean_cosine_criterion(const torch::Tensor& mapped_source, const torch::Tensor& target, std::int64_t max_rank,
                             std::int64_t k, std::int64_t rows) {
  torch::NoGradGuard no_grad;
  const auto s = mapped_source.narrow(0, 0, std::min(max_rank, mapped_source.size(0)));
  const auto t = target.narrow(0, 0, std::min(max_rank, target.size(0)));
  const auto su = s / s.norm(2, {1}, true).clamp_min(1e-8);
  const auto tu = t / t.norm(2, {1}, true).clamp_min(1e-8);
  const auto best = retrieve(su, tu, 1, "csls", mean_topk_similarity(su, tu, k, rows),
                             mean_topk_similarity(tu, su, k, rows), rows)
                        .squeeze(1);
  return (su * tu.index_select(0, best)).sum(1).mean().item<double>();
}

IndexPairs to_index_pairs(const std::vector<std::pair<std::string, std::string>>& pairs,
                          const WordVectorsData& source, const WordVectorsData& target) {
  std::unordered_map<std::string, std::int64_t> s, t;
  for (std::size_t i = 0; i < source.words.size(); ++i) s.emplace(source.words[i], static_cast<std::int64_t>(i));
  for (std::size_t i = 0; i < target.words.size(); ++i) t.emplace(target.words[i], static_cast<std::int64_t>(i));
  IndexPairs out;
  for (const auto& [a, b] : pairs) {
    auto i = s.find(a);
    auto j = t.find(b);
    if (i != s.end() && j != t.end()) out.emplace_back(i->second, j->second);
  }
  return out;
}

IndexPairs identical_strings(const WordVectorsData& source, const WordVectorsData& target, bool numerals_only) {
  std::unordered_map<std::string, std::int64_t> t;
  for (std::size_t i = 0; i < target.words.size(); ++i) t.emplace(target.words[i], static_cast<std::int64_t>(i));
  IndexPairs out;
  for (std::size_t i = 0; i < source.words.size(); ++i) {
    const auto& w = source.words[i];
    if (numerals_only && !std::all_of(w.begin(), w.end(), [](unsigned char c) { return std::isdigit(c); })) continue;
    if (auto j = t.find(w); j != t.end()) out.emplace_back(static_cast<std::int64_t>(i), j->second);
  }
  return out;
}

// ---- EmbeddingAlignment ------------------------------------------------------

void EmbeddingAlignment::setup(const SetupContext& ctx) {
  auto vocabulary = [&](const char* domain) {
    const auto* d = dynamic_cast<const WordVectorsData*>(&ctx.domain(domain));
    if (!d || !d->has_split("all"))
      throw Error(fmt::format("data set '{}' is not a vocabulary; cross-lingual methods need `source:` and "
                              "`target:` of type word_vectors",
                              ctx.domain(domain).name));
    return d;
  };
  source_data_ = vocabulary("source");
  target_data_ = vocabulary("target");
  dictionary_ = dynamic_cast<const BilingualDictionaryData*>(&ctx.domain("dictionary"));
  if (!dictionary_ || !dictionary_->word_pairs.count("test"))
    throw Error(fmt::format("data set '{}' has no test dictionary; `dictionary:` must be a bilingual_dictionary",
                            ctx.domain("dictionary").name));
  const auto& x = source_data_->split("all").inputs;
  const auto& y = target_data_->split("all").inputs;
  if (x.size(1) != y.size(1))
    throw Error(fmt::format("source vectors have {} dimensions and target vectors {}; a linear map between them "
                            "needs the same number",
                            x.size(1), y.size(1)));
  source_ = normalize_embeddings(x.to(ctx.device, torch::kFloat32), common_.normalize);
  target_ = normalize_embeddings(y.to(ctx.device, torch::kFloat32), common_.normalize);
  mapping_ = register_parameter("mapping", torch::eye(x.size(1), source_.options()), false);

  if (dictionary_->word_pairs.count("train"))
    train_pairs_ = to_index_pairs(dictionary_->word_pairs.at("train"), *source_data_, *target_data_);
  // Test: every gold translation of a source word counts (MUSE's protocol).
  std::map<std::string, std::vector<std::string>> gold_words;
  for (const auto& [s, t] : dictionary_->word_pairs.at("test")) gold_words[s].push_back(t);
  std::unordered_map<std::string, std::int64_t> t_index;
  for (std::size_t i = 0; i < target_data_->words.size(); ++i) t_index.emplace(target_data_->words[i], i);
  std::unordered_map<std::string, std::int64_t> s_index;
  for (std::size_t i = 0; i < source_data_->words.size(); ++i) s_index.emplace(source_data_->words[i], i);
  test_words_ = static_cast<std::int64_t>(gold_words.size());
  for (const auto& [s, targets] : gold_words) {
    auto si = s_index.find(s);
    if (si == s_index.end()) continue;
    std::vector<std::int64_t> gold;
    for (const auto& t : targets)
      if (auto ti = t_index.find(t); ti != t_index.end()) gold.push_back(ti->second);
    if (gold.empty()) continue;
    test_queries_.push_back(si->second);
    test_gold_.push_back(std::move(gold));
  }
  // Coverage 0 would score nothing and leave the P@k columns out of the table.
  if (test_queries_.empty())
    throw Error(fmt::format("{}: none of its {} test source words has itself and a gold translation in the two "
                            "vocabularies ({}, {}): nothing to score; check that the dictionary's languages and "
                            "order match the vectors' (source, target)",
                            dictionary_->name, gold_words.size(), source_data_->name, target_data_->name));
}

torch::Tensor EmbeddingAlignment::mapped_source() const { return torch::matmul(source_, mapping_.t()); }

void EmbeddingAlignment::set_mapping(const torch::Tensor& w) {
  torch::NoGradGuard no_grad;
  mapping_.copy_(w);
}

void EmbeddingAlignment::solve_procrustes(const IndexPairs& pairs) { set_mapping(procrustes(source_, target_, pairs)); }

IndexPairs EmbeddingAlignment::induce_dictionary(std::int64_t max_rank) const {
  torch::NoGradGuard no_grad;
  return induce_mutual_csls(mapped_source(), target_, max_rank, common_.csls_k, rows());
}

double EmbeddingAlignment::criterion(std::int64_t max_rank) const {
  torch::NoGradGuard no_grad;
  return mean_cosine_criterion(mapped_source(), target_, max_rank, common_.csls_k, rows());
}

std::string rank_band_name(std::int64_t low, std::int64_t high) {
  return high > 0 ? fmt::format("rank_{}_{}", low, high) : fmt::format("rank_{}_up", low);
}

void EmbeddingAlignment::add_rank_band_metrics(const torch::Tensor& retrieved, const std::string& method,
                                               Metrics& metrics) const {
  // Bands over the covered test words only: an out-of-vocabulary word has no rank.
  std::int64_t low = 0;
  for (std::size_t b = 0; b <= common_.rank_bins.size(); ++b) {
    const std::int64_t high = b < common_.rank_bins.size() ? common_.rank_bins[b] : 0;
    std::vector<std::int64_t> members;
    std::vector<std::vector<std::int64_t>> gold;
    for (std::size_t i = 0; i < test_queries_.size(); ++i)
      if (test_queries_[i] >= low && (high == 0 || test_queries_[i] < high)) {
        members.push_back(static_cast<std::int64_t>(i));
        gold.push_back(test_gold_[i]);
      }
    const std::string band = rank_band_name(low, high);
    metrics[fmt::format("test.words.{}", band)] = static_cast<double>(members.size());
    if (!members.empty())
      metrics[fmt::format("test.p1_{}.{}", method, band)] =
          precision_at_k(retrieved.index_select(0, torch::tensor(members).to(retrieved.device())), gold, 1);
    low = high;
  }
}

void EmbeddingAlignment::export_translations(const torch::Tensor& mapped_unit, const torch::Tensor& target_unit,
                                             const torch::Tensor& r_targets, const std::string& run_dir) const {
  const std::int64_t n = std::min<std::int64_t>(common_.export_dictionary, mapped_unit.size(0));
  const auto queries = mapped_unit.slice(0, 0, n);
  const auto r_queries = mean_topk_similarity(queries, target_unit, common_.csls_k, rows());
  const auto best = retrieve(queries, target_unit, 1, "csls", r_queries, r_targets, rows()).to(torch::kCPU);
  WordPairs pairs;
  pairs.reserve(static_cast<std::size_t>(n));
  const auto* index = best.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i)
    pairs.emplace_back(source_data_->words[static_cast<std::size_t>(i)],
                       target_data_->words[static_cast<std::size_t>(index[i])]);
  write_muse_dictionary(run_dir + "/translations.txt", pairs);
}

Metrics EmbeddingAlignment::evaluate(const EvalContext& ctx) {
  torch::NoGradGuard no_grad;
  Metrics metrics;
  const auto mapped = mapped_source();
  // Cosine retrieval: rows to unit length after mapping.
  const auto s = mapped / mapped.norm(2, {1}, true).clamp_min(1e-8);
  const auto t = target_ / target_.norm(2, {1}, true).clamp_min(1e-8);
  const double covered = static_cast<double>(test_queries_.size());
  const double denominator = common_.oov == "wrong" ? static_cast<double>(test_words_) : covered;
  metrics["test.coverage"] = test_words_ > 0 ? 100.0 * covered / static_cast<double>(test_words_) : 0.0;
  const bool exporting = common_.export_dictionary > 0 && ctx.final && !ctx.run_dir.empty();
  // r_T of CSLS: one pass over target x source, shared by the test and the export.
  const auto r_targets =
      !test_queries_.empty() || exporting ? mean_topk_similarity(t, s, common_.csls_k, rows()) : torch::Tensor();
  if (!test_queries_.empty()) {
    const auto queries = s.index_select(0, torch::tensor(test_queries_).to(s.device()));
    const auto r_queries = mean_topk_similarity(queries, t, common_.csls_k, rows());
    for (const std::string method : {"nn", "csls"}) {
      const auto top = retrieve(queries, t, 10, method, r_queries, r_targets, rows());
      for (const std::int64_t k : {1, 5, 10})
        metrics[fmt::format("test.p{}_{}", k, method)] = precision_at_k(top, test_gold_, k) * covered / denominator;
      add_rank_band_metrics(top, method, metrics);
    }
  }
  metrics["criterion.mean_cosine"] = criterion();
  if (exporting) export_translations(s, t, r_targets, ctx.run_dir);
  if (common_.export_vectors && ctx.final && !ctx.run_dir.empty()) {
    WordVectors out;
    out.words = source_data_->words;
    out.matrix = mapped.to(torch::kCPU);
    write_vec(ctx.run_dir + "/mapped.vec", out);
  }
  return metrics;
}

}  // namespace graft
