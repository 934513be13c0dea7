#pragma once
// What every cross-lingual embedding-alignment method shares: the two
// vocabularies (data `source`, `target`: word_vectors) and the dictionary
// (data `dictionary`: bilingual_dictionary), normalisation, one linear map W
// (mapped source row = W x), retrieval by nearest neighbour and CSLS, P@k with
// coverage, dictionary induction, and MUSE's unsupervised selection criterion.
//
// The loop is the framework's: one step is one closed-form solve (Procrustes,
// a refinement round, a self-learning iteration: apply_update = false) or one
// gradient step (adversarial training: discriminator or mapping), so every
// method gets checkpoints, logging and tables without code of its own.
//
// Formulas (ANCHORS.md; Conneau et al., ICLR 2018; Artetxe et al., ACL 2018):
//   Procrustes   W = U V^T, U S V^T = SVD(Y^T X) over dictionary rows X, Y
//   CSLS(x, y)   = 2 cos(Wx, y) - r_T(Wx) - r_S(y), r = mean cosine to the k
//                  nearest neighbours in the other space (k = 10)

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/options.h"
#include "core/strategy.h"
#include "datasets/crosslingual.h"

namespace graft {

/// Options every alignment method has.
struct AlignmentOptions {
  std::vector<std::string> normalize{"unit", "center", "unit"};  ///< VecMap's order
  std::int64_t csls_k = 10;
  std::string oov = "drop";      ///< test pairs with out-of-vocabulary words: drop, or count as wrong
  bool export_vectors = false;   ///< write the mapped source vectors as .vec in the run folder
  std::int64_t retrieval_rows = 0;  ///< rows per batch of similarities; 0: keep each batch under 256 MB
  std::vector<std::int64_t> rank_bins;  ///< P@1 by source frequency rank: band edges, increasing
  std::int64_t export_dictionary = 0;   ///< write the CSLS translations of the N most frequent source words
};

template <class T>
void declare_alignment_options(OptionSet<T>& o) {
  using A = AlignmentOptions;
  o.add("normalize", static_cast<std::vector<std::string> T::*>(&A::normalize),
        "steps applied to both vocabularies before mapping, in order: unit (length), center (mean)")
      .choices({"unit", "center"});
  o.add("csls_k", static_cast<std::int64_t T::*>(&A::csls_k), "neighbourhood size of CSLS").min(1);
  o.add("oov", static_cast<std::string T::*>(&A::oov),
        "test source words without vectors (or whose translations have none): drop them, or count them wrong")
      .choices({"drop", "wrong"});
  o.add("export_vectors", static_cast<bool T::*>(&A::export_vectors),
        "write mapped.vec (mapped source vectors) into the run folder at the end");
  o.add("retrieval_rows", static_cast<std::int64_t T::*>(&A::retrieval_rows),
        "rows per batch of similarity computations; 0 bounds each batch to 256 MB")
      .min(0);
  o.add("rank_bins", static_cast<std::vector<std::int64_t> T::*>(&A::rank_bins),
        "P@1 (NN, CSLS) of the test words by source frequency rank: [2000, 5000, 10000] scores the bands "
        "0-2000, 2000-5000, 5000-10000 and 10000 on, as test.p1_csls.rank_0_2000 ... (vocabularies are in "
        "frequency order)")
      .min(1)
      .increasing()
      .saved_unless_default();
  o.add("export_dictionary", static_cast<std::int64_t T::*>(&A::export_dictionary),
        "at the end, write translations.txt into the run folder: the CSLS translation of each of the N most "
        "frequent source words, one 'source target' pair a line (MUSE's dictionary format); 0: none")
      .min(0)
      .saved_unless_default();
}

/// The name of a frequency-rank band of `rank_bins` ("rank_0_2000", "rank_10000_up").
std::string rank_band_name(std::int64_t low, std::int64_t high);

/// Index pairs (source row, target row).
using IndexPairs = std::vector<std::pair<std::int64_t, std::int64_t>>;

// ---- retrieval and solves, usable on their own (and tested so) -----------

/// Applies "unit" (rows to unit length) and "center" (subtract the column
/// mean) in the given order.
torch::Tensor normalize_embeddings(torch::Tensor matrix, const std::vector<std::string>& steps);

/// For each row q of `queries`, the mean of its k largest dot products with
/// the rows of `keys`, computed `rows` queries at a time. [n]
torch::Tensor mean_topk_similarity(const torch::Tensor& queries, const torch::Tensor& keys, std::int64_t k,
                                   std::int64_t rows = 0);

/// The k best keys of each query (indices [n, k], best first), by "nn"
/// (cosine, i.e. dot product of unit rows) or "csls". For CSLS, r_queries is
/// mean_topk_similarity(queries, keys) and r_keys mean_topk_similarity(keys,
/// all mapped source rows).
torch::Tensor retrieve(const torch::Tensor& queries, const torch::Tensor& keys, std::int64_t k,
                       const std::string& method, const torch::Tensor& r_queries = {},
                       const torch::Tensor& r_keys = {}, std::int64_t rows = 0);

/// The orthogonal W minimising sum ||W x_i - y_i||^2 over the pairs.
torch::Tensor procrustes(const torch::Tensor& source, const torch::Tensor& target, const IndexPairs& pairs);

/// Precision at k: a query is right when any of its gold rows is among its k
/// retrieved rows. `retrieved` [n, >=k]; `gold[i]` the gold rows of query i.
double precision_at_k(const torch::Tensor& retrieved, const std::vector<std::vector<std::int64_t>>& gold,
                      std::int64_t k);

/// A dictionary induced by mutual CSLS nearest neighbours among the `max_rank`
/// most frequent words of both sides (MUSE's refinement, "S2T&T2S").
IndexPairs induce_mutual_csls(const torch::Tensor& mapped_source, const torch::Tensor& target, std::int64_t max_rank,
                              std::int64_t k, std::int64_t rows = 0);

/// MUSE's unsupervised criterion: mean cosine of the CSLS translations of the
/// `max_rank` most frequent source words (among as many target words).
double mean_cosine_criterion(const torch::Tensor& mapped_source, const torch::Tensor& target, std::int64_t max_rank,
                             std::int64_t k, std::int64_t rows = 0);

/// Word pairs as row pairs; pairs with a word missing on either side dropped.
IndexPairs to_index_pairs(const std::vector<std::pair<std::string, std::string>>& pairs,
                          const WordVectorsData& source, const WordVectorsData& target);

/// Seed dictionaries that need no bilingual data: identical strings in both
/// vocabularies, or only the numerals among them.
IndexPairs identical_strings(const WordVectorsData& source, const WordVectorsData& target, bool numerals_only);

// ---- the shared base -------------------------------------------------------

class EmbeddingAlignment : public Strategy {
 public:
  explicit EmbeddingAlignment(AlignmentOptions options) : common_(std::move(options)) {}

  std::vector<StreamRequest> streams() const override { return {}; }
  /// Loads and normalises both vocabularies, indexes the dictionary, W = I.
  void setup(const SetupContext& ctx) override;
  std::vector<ParameterGroup> parameter_groups() override { return {}; }
  /// test.p{1,5,10}_{nn,csls}, test.coverage (%), and criterion.mean_cosine.
  Metrics evaluate(const EvalContext& ctx) override;

 protected:
  /// Source rows mapped by the current W: X W^T.
  torch::Tensor mapped_source() const;
  /// Sets W (no gradient history).
  void set_mapping(const torch::Tensor& w);
  /// Solves Procrustes on `pairs` and sets W.
  void solve_procrustes(const IndexPairs& pairs);
  /// A dictionary from mutual CSLS neighbours under the current W.
  IndexPairs induce_dictionary(std::int64_t max_rank) const;
  double criterion(std::int64_t max_rank = 10000) const;
  /// test.words.<band> and test.p1_<method>.<band> for each band of rank_bins,
  /// from the retrieved rows [queries, >=1] of the covered test words.
  void add_rank_band_metrics(const torch::Tensor& retrieved, const std::string& method, Metrics& metrics) const;
  /// translations.txt: the CSLS best target word of the first export_dictionary source words
  /// (`r_targets`: CSLS's r_T of every target row, as evaluate computed it).
  void export_translations(const torch::Tensor& mapped_unit, const torch::Tensor& target_unit,
                           const torch::Tensor& r_targets, const std::string& run_dir) const;
  std::int64_t rows() const { return common_.retrieval_rows; }

  AlignmentOptions common_;
  torch::Tensor source_, target_;  ///< normalised [N, D], [M, D]
  torch::Tensor mapping_;          ///< W [D, D], registered "mapping"
  const WordVectorsData* source_data_ = nullptr;
  const WordVectorsData* target_data_ = nullptr;
  const BilingualDictionaryData* dictionary_ = nullptr;
  IndexPairs train_pairs_;         ///< the dictionary's train split, in vocabulary
  std::vector<std::int64_t> test_queries_;                 ///< source rows of covered test words
  std::vector<std::vector<std::int64_t>> test_gold_;       ///< their gold target rows
  std::int64_t test_words_ = 0;                            ///< distinct test source words, covered or not
};

}  // namespace graft
