#include "methods/cross_lingual/alignment.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <cctype>
#include <map>
#include <set>
#include <tuple>
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

/// Each word's row.
std::unordered_map<std::string, std::int64_t> row_of(const std::vector<std::string>& words) {
  std::unordered_map<std::string, std::int64_t> rows;
  rows.reserve(words.size());
  for (std::size_t i = 0; i < words.size(); ++i) rows.emplace(words[i], static_cast<std::int64_t>(i));
  return rows;
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

namespace {

/// Row blocks of `total` queries x keys^T written into one buffer of
/// min(step, total) rows, allocated once per loop. A fresh block per iteration (256 MB by default)
/// came from the kernel each time, page-faulted and zeroed: a quarter of the
/// time of Procrustes + refinement + evaluation at 100,000 words (perf), the
/// same products otherwise. The values are those of torch::matmul.
class SimilarityBlocks {
 public:
  SimilarityBlocks(const torch::Tensor& keys, std::int64_t step, std::int64_t total, const torch::TensorOptions& options)
      : keys_t_(keys.t()),
        buffer_(torch::empty({std::max<std::int64_t>(std::min(step, total), 1), keys.size(0)}, options)) {}
  /// queries [m, d] (m <= step) times keys^T: a view of the buffer, valid until the next call.
  torch::Tensor operator()(const torch::Tensor& queries) {
    auto block = buffer_.narrow(0, 0, queries.size(0));
    torch::mm_out(block, queries, keys_t_);
    return block;
  }

 private:
  torch::Tensor keys_t_, buffer_;
};

}  // namespace

torch::Tensor mean_topk_similarity(const torch::Tensor& queries, const torch::Tensor& keys, std::int64_t k,
                                   std::int64_t rows) {
  torch::NoGradGuard no_grad;
  const std::int64_t n = queries.size(0), step = batch_rows(rows, keys.size(0));
  k = std::min<std::int64_t>(k, keys.size(0));
  auto out = torch::empty({n}, queries.options());
  SimilarityBlocks similarity(keys, step, n, queries.options());
  for (std::int64_t i = 0; i < n; i += step) {
    const auto block = queries.narrow(0, i, std::min(step, n - i));
    out.narrow(0, i, block.size(0)).copy_(std::get<0>(similarity(block).topk(k, 1)).mean(1));
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
  SimilarityBlocks similarity(keys, step, n, queries.options());
  for (std::int64_t i = 0; i < n; i += step) {
    const std::int64_t m = std::min(step, n - i);
    auto scores = similarity(queries.narrow(0, i, m));
    // In place, in the order of 2 * scores - r_q - r_k: the same roundings.
    if (method == "csls") scores.mul_(2).sub_(r_queries.narrow(0, i, m).unsqueeze(1)).sub_(r_keys.unsqueeze(0));
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

void check_mapping_recipe(const MappingRecipe& recipe) {
  const MappingRecipe plain;
  if (recipe.map != "multistep") {
    std::vector<std::string> set;
    if (recipe.whiten) set.push_back("whiten");
    if (recipe.src_reweight != plain.src_reweight) set.push_back("src_reweight");
    if (recipe.trg_reweight != plain.trg_reweight) set.push_back("trg_reweight");
    if (recipe.src_dewhiten != plain.src_dewhiten) set.push_back("src_dewhiten");
    if (recipe.trg_dewhiten != plain.trg_dewhiten) set.push_back("trg_dewhiten");
    if (recipe.dim_reduction != plain.dim_reduction) set.push_back("dim_reduction");
    if (!set.empty())
      throw Error(fmt::format("method.{} is a step of map: multistep, but map is {}; set map: multistep or leave "
                              "{} out",
                              set.front(), recipe.map, set.front()));
  }
  for (const auto* side : {&recipe.src_dewhiten, &recipe.trg_dewhiten})
    if (*side != "none" && !recipe.whiten)
      throw Error(fmt::format("method.{}: {} undoes a whitening, but whiten is false; set whiten: true (VecMap "
                              "refuses de-whitening without whitening too)",
                              side == &recipe.src_dewhiten ? "src_dewhiten" : "trg_dewhiten", *side));
}

namespace {

/// (M^T M)^(-1/2) and its inverse (M^T M)^(1/2), from M = U S V^T: V S^-1 V^T, V S V^T.
std::pair<torch::Tensor, torch::Tensor> whitening(const torch::Tensor& m, const char* side) {
  auto [u, s, vh] = torch::linalg_svd(m, /*full_matrices=*/false);
  const double smallest = s.min().item<double>(), largest = s.max().item<double>();
  if (s.size(0) < m.size(1) || smallest <= 1e-6 * largest)
    throw Error(fmt::format("whitening: the dictionary's {} vectors ({} rows) do not span all {} dimensions (smallest "
                            "singular value {:.3g} of {:.3g}); whitening needs more dictionary pairs than dimensions, "
                            "or use whiten: false",
                            side, m.size(0), m.size(1), smallest, largest));
  const auto v = vh.t();
  return {torch::matmul(v / s.unsqueeze(0), vh), torch::matmul(v * s.unsqueeze(0), vh)};
}

}  // namespace

LinearMaps solve_mapping(const torch::Tensor& source, const torch::Tensor& target, const IndexPairs& pairs,
                         const MappingRecipe& recipe) {
  torch::NoGradGuard no_grad;
  if (recipe.map == "orthogonal") return {procrustes(source, target, pairs), {}};
  if (pairs.empty()) throw Error("the mapping needs at least one dictionary pair; the dictionary is empty");
  std::vector<std::int64_t> s, t;
  for (const auto& [a, b] : pairs) {
    s.push_back(a);
    t.push_back(b);
  }
  const auto x = source.index_select(0, torch::tensor(s).to(source.device())).to(torch::kFloat64);
  const auto z = target.index_select(0, torch::tensor(t).to(target.device())).to(torch::kFloat64);
  const auto type = source.scalar_type();
  if (recipe.map == "unconstrained") {
    // Least squares X_d A = Z_d; mapped source X A, so W = A^T.
    const auto a = std::get<0>(torch::linalg_lstsq(x, z, c10::nullopt, c10::nullopt));
    return {a.t().contiguous().to(type), {}};
  }
  if (recipe.map != "multistep") throw Error("method.map: '" + recipe.map + "'; valid: orthogonal, unconstrained, multistep");
  const std::int64_t dim = x.size(1);
  auto eye = torch::eye(dim, x.options());
  // Plain variables, not structured bindings: lambdas below use them (C++17).
  torch::Tensor wx1, wx1_inverse, wz1, wz1_inverse, wx2, singular, wz2_t;
  std::tie(wx1, wx1_inverse) = recipe.whiten ? whitening(x, "source") : std::make_pair(eye, eye);
  std::tie(wz1, wz1_inverse) = recipe.whiten ? whitening(z, "target") : std::make_pair(eye, eye);
  // (2) U S V^T = SVD(X~_d^T Z~_d): X~ U and Z~ V share one space.
  std::tie(wx2, singular, wz2_t) = torch::linalg_svd(torch::matmul(torch::matmul(x, wx1).t(), torch::matmul(z, wz1)),
                                                     /*full_matrices=*/false);
  const auto wz2 = wz2_t.t();
  // Transforms applied from the right (rows times matrix), as VecMap writes them.
  auto tx = torch::matmul(wx1, wx2) * singular.pow(recipe.src_reweight).unsqueeze(0);   // (3) column scaling
  auto tz = torch::matmul(wz1, wz2) * singular.pow(recipe.trg_reweight).unsqueeze(0);
  auto dewhitening = [&](const std::string& by) {  // (4)
    return by == "src" ? torch::matmul(torch::matmul(wx2.t(), wx1_inverse), wx2)
                       : torch::matmul(torch::matmul(wz2.t(), wz1_inverse), wz2);
  };
  if (recipe.src_dewhiten != "none") tx = torch::matmul(tx, dewhitening(recipe.src_dewhiten));
  if (recipe.trg_dewhiten != "none") tz = torch::matmul(tz, dewhitening(recipe.trg_dewhiten));
  if (recipe.dim_reduction > 0) {  // (5)
    if (recipe.dim_reduction > dim)
      throw Error(fmt::format("method.dim_reduction: {} is more than the vectors' {} dimensions", recipe.dim_reduction,
                              dim));
    tx = tx.narrow(1, 0, recipe.dim_reduction);
    tz = tz.narrow(1, 0, recipe.dim_reduction);
  }
  return {tx.t().contiguous().to(type), tz.t().contiguous().to(type)};
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
  SimilarityBlocks similarity(t, step, ns, s.options());
  for (std::int64_t i = 0; i < ns; i += step) {
    const std::int64_t m = std::min(step, ns - i);
    auto scores = similarity(s.narrow(0, i, m));
    scores.mul_(2).sub_(r_s.narrow(0, i, m).unsqueeze(1)).sub_(r_t.unsqueeze(0));
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

torch::Tensor idf_bags(const std::vector<std::vector<std::string>>& sentences, const std::vector<std::string>& vocabulary) {
  const auto row = row_of(vocabulary);
  std::unordered_map<std::int64_t, std::int64_t> document_frequency;
  for (const auto& sentence : sentences) {
    std::set<std::int64_t> words;
    for (const auto& w : sentence)
      if (auto it = row.find(w); it != row.end()) words.insert(it->second);
    for (const auto w : words) ++document_frequency[w];
  }
  const double count = static_cast<double>(sentences.size());
  std::vector<std::int64_t> rows, columns;
  std::vector<float> values;
  for (std::size_t i = 0; i < sentences.size(); ++i)
    for (const auto& w : sentences[i])
      if (auto it = row.find(w); it != row.end()) {
        rows.push_back(static_cast<std::int64_t>(i));
        columns.push_back(it->second);
        values.push_back(static_cast<float>(
            std::max(1.0, std::log10(count / static_cast<double>(document_frequency.at(it->second))))));
      }
  const auto n = static_cast<std::int64_t>(rows.size());
  auto indices = torch::stack({torch::tensor(rows, torch::kInt64), torch::tensor(columns, torch::kInt64)});
  if (n == 0) indices = torch::zeros({2, 0}, torch::kInt64);
  return torch::sparse_coo_tensor(indices, torch::tensor(values, torch::kFloat32).view({n}),
                                  {static_cast<std::int64_t>(sentences.size()), static_cast<std::int64_t>(vocabulary.size())})
      .coalesce();  // repeated words add up
}

IndexPairs to_index_pairs(const std::vector<std::pair<std::string, std::string>>& pairs,
                          const WordVectorsData& source, const WordVectorsData& target) {
  const auto s = row_of(source.words), t = row_of(target.words);
  IndexPairs out;
  for (const auto& [a, b] : pairs) {
    auto i = s.find(a);
    auto j = t.find(b);
    if (i != s.end() && j != t.end()) out.emplace_back(i->second, j->second);
  }
  return out;
}

IndexPairs identical_strings(const WordVectorsData& source, const WordVectorsData& target, bool numerals_only) {
  const auto t = row_of(target.words);
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
  const auto t_index = row_of(target_data_->words), s_index = row_of(source_data_->words);
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
  if (ctx.domains.count("sentences")) {
    const auto* sentences = dynamic_cast<const ParallelSentencesData*>(&ctx.domain("sentences"));
    if (!sentences)
      throw Error(fmt::format("data set '{}' under `sentences:` is not a parallel_sentences data set",
                              ctx.domain("sentences").name));
    source_bags_ = idf_bags(sentences->source, source_data_->words).to(ctx.device);
    target_bags_ = idf_bags(sentences->target, target_data_->words).to(ctx.device);
    // A sentence without a known word on either side has no vector: neither query nor candidate.
    const auto known = [](const torch::Tensor& bags) {
      return torch::zeros({bags.size(0)}, torch::kInt64).index_add_(0, bags._indices()[0].cpu(),
                                                                     torch::ones({bags._nnz()}, torch::kInt64)) > 0;
    };
    const auto both = known(source_bags_) & known(target_bags_);
    sentence_candidates_ = both.nonzero().squeeze(1);
    std::vector<std::int64_t> queries;
    const auto* ok = both.data_ptr<bool>();
    for (const auto q : sentences->queries)
      if (ok[q]) queries.push_back(q);
    if (queries.empty())
      throw Error(fmt::format("{}: none of its query sentences has a word of both vocabularies", sentences->name));
    sentence_queries_ = torch::tensor(queries, torch::kInt64);
  }
  // Coverage 0 would score nothing and leave the P@k columns out of the table.
  if (test_queries_.empty())
    throw Error(fmt::format("{}: none of its {} test source words has itself and a gold translation in the two "
                            "vocabularies ({}, {}): nothing to score; check that the dictionary's languages and "
                            "order match the vectors' (source, target)",
                            dictionary_->name, gold_words.size(), source_data_->name, target_data_->name));
}

torch::Tensor EmbeddingAlignment::mapped_source() const { return torch::matmul(source_, mapping_.t()); }

torch::Tensor EmbeddingAlignment::mapped_target() const {
  return target_mapping_.defined() ? torch::matmul(target_, target_mapping_.t()) : target_;
}

void EmbeddingAlignment::set_mapping(const torch::Tensor& w) {
  torch::NoGradGuard no_grad;
  // A reduced map ([d, D], d < D) replaces the tensor's shape, not only its values.
  if (mapping_.sizes() == w.sizes()) mapping_.copy_(w);
  else mapping_.set_data(w.clone());
}

void EmbeddingAlignment::enable_target_mapping() {
  target_mapping_ = register_parameter("target_mapping", torch::eye(target_.size(1), target_.options()), false);
}

void EmbeddingAlignment::set_maps(const LinearMaps& maps) {
  torch::NoGradGuard no_grad;
  set_mapping(maps.source);
  if (!target_mapping_.defined()) {
    if (maps.target.defined())
      throw Error("this method's map moves the target side, but it did not call enable_target_mapping in setup");
    return;
  }
  const auto v = maps.target.defined() ? maps.target : torch::eye(target_.size(1), target_.options());
  if (target_mapping_.sizes() == v.sizes()) target_mapping_.copy_(v);
  else target_mapping_.set_data(v.clone());
}

void EmbeddingAlignment::solve_procrustes(const IndexPairs& pairs) { set_mapping(procrustes(source_, target_, pairs)); }

IndexPairs EmbeddingAlignment::induce_dictionary(std::int64_t max_rank) const {
  torch::NoGradGuard no_grad;
  return induce_mutual_csls(mapped_source(), mapped_target(), max_rank, common_.csls_k, rows());
}

double EmbeddingAlignment::criterion(std::int64_t max_rank) const {
  torch::NoGradGuard no_grad;
  return mean_cosine_criterion(mapped_source(), mapped_target(), max_rank, common_.csls_k, rows());
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

void EmbeddingAlignment::add_sentence_metrics(const torch::Tensor& source_unit, const torch::Tensor& target_unit,
                                              Metrics& metrics) const {
  auto unit = [](const torch::Tensor& m) { return m / m.norm(2, {1}, true).clamp_min(1e-8); };
  const auto candidates = sentence_candidates_.to(source_unit.device());
  const auto keys = unit(torch::mm(target_bags_, target_unit).index_select(0, candidates));
  const auto queries = unit(torch::mm(source_bags_, source_unit).index_select(0, sentence_queries_.to(source_unit.device())));
  // The gold candidate of each query: its own row among the candidates.
  const auto position = torch::searchsorted(sentence_candidates_, sentence_queries_);
  std::vector<std::vector<std::int64_t>> gold;
  for (std::int64_t i = 0; i < position.size(0); ++i) gold.push_back({position[i].item<std::int64_t>()});
  const std::int64_t k = common_.csls_k;
  metrics["sentences.queries"] = static_cast<double>(gold.size());
  metrics["sentences.candidates"] = static_cast<double>(keys.size(0));
  metrics["sentences.p1_nn"] = precision_at_k(retrieve(queries, keys, 1, "nn", {}, {}, rows()), gold, 1);
  metrics["sentences.p1_csls"] =
      precision_at_k(retrieve(queries, keys, 1, "csls", mean_topk_similarity(queries, keys, k, rows()),
                              mean_topk_similarity(keys, queries, k, rows()), rows()),
                     gold, 1);
}

Metrics EmbeddingAlignment::evaluate(const EvalContext& ctx) {
  torch::NoGradGuard no_grad;
  Metrics metrics;
  const auto mapped = mapped_source();
  const auto mapped_t = mapped_target();
  // Cosine retrieval: rows to unit length after mapping.
  const auto s = mapped / mapped.norm(2, {1}, true).clamp_min(1e-8);
  const auto t = mapped_t / mapped_t.norm(2, {1}, true).clamp_min(1e-8);
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
  if (source_bags_.defined()) add_sentence_metrics(s, t, metrics);
  metrics["criterion.mean_cosine"] = criterion();
  if (exporting) export_translations(s, t, r_targets, ctx.run_dir);
  if (common_.export_vectors && ctx.final && !ctx.run_dir.empty()) {
    WordVectors out;
    out.words = source_data_->words;
    out.matrix = mapped.to(torch::kCPU);
    write_vec(ctx.run_dir + "/mapped.vec", out);
    if (target_mapping_.defined()) {  // both sides moved: retrieval needs both
      out.words = target_data_->words;
      out.matrix = mapped_t.to(torch::kCPU);
      write_vec(ctx.run_dir + "/mapped_target.vec", out);
    }
  }
  return metrics;
}

}  // namespace graft
