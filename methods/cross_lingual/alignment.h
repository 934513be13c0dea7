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
#include "datasets/parallel_sentences.h"

namespace graft {

/// Options every alignment method has.
struct AlignmentOptions {
  std::vector<std::string> normalize{"unit", "center", "unit"};  ///< VecMap's order
  std::int64_t csls_k = 10;
  std::string oov = "drop";      ///< test pairs with out-of-vocabulary words: drop, or count as wrong
  bool export_vectors = false;   ///< write the mapped vectors as .vec in the run folder
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
        "write mapped.vec (mapped source vectors; and mapped_target.vec where the method moves the target) "
        "into the run folder at the end");
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

/// How a map is solved from dictionary rows X_d, Z_d: VecMap's framework
/// (Artetxe, Labaka and Agirre, "Generalizing and improving bilingual word
/// embedding mappings with a multi-step framework of linear transformations",
/// AAAI 2018, sec. 3; the order of its map_embeddings.py):
///   orthogonal     W = U V^T from U S V^T = SVD(Z_d^T X_d); the target stays
///   unconstrained  least squares, W^T = argmin ||X_d A - Z_d||; the target stays
///   multistep      both sides move: (1) whitening X_d -> X_d (X_d^T X_d)^(-1/2),
///                  likewise Z_d; (2) orthogonal maps U, V from SVD(X~_d^T Z~_d)
///                  = U S V^T, into a shared space; (3) re-weighting: columns
///                  times S^src_reweight, S^trg_reweight; (4) de-whitening by
///                  U^T (X_d^T X_d)^(1/2) U (src) or V^T (Z_d^T Z_d)^(1/2) V (trg);
///                  (5) keep the first dim_reduction dimensions.
/// With nothing switched on, multistep is orthogonal up to a rotation of the
/// shared space (same retrieval).
struct MappingRecipe {
  std::string map = "orthogonal";
  bool whiten = false;
  double src_reweight = 0.0;
  double trg_reweight = 0.0;
  std::string src_dewhiten = "none";  ///< none, src, trg
  std::string trg_dewhiten = "none";
  std::int64_t dim_reduction = 0;     ///< 0: keep every dimension
};

/// The maps of one solve: mapped source = X W^T (`source`, [d, D]), mapped
/// target = Z V^T (`target`; undefined when the target does not move).
struct LinearMaps {
  torch::Tensor source, target;
};

/// Declares the MappingRecipe keys (T derives from MappingRecipe).
template <class T>
void declare_mapping_recipe(OptionSet<T>& o) {
  using M = MappingRecipe;
  o.add("map", static_cast<std::string T::*>(&M::map),
        "how the map is solved from the dictionary: orthogonal (Procrustes), unconstrained (least squares), "
        "multistep (VecMap: whitening, orthogonal maps of both sides, re-weighting, de-whitening, reduction)")
      .choices({"orthogonal", "unconstrained", "multistep"});
  o.add("whiten", static_cast<bool T::*>(&M::whiten), "multistep: whiten both sides on the dictionary's rows");
  o.add("src_reweight", static_cast<double T::*>(&M::src_reweight),
        "multistep: scale the source's shared dimensions by the singular values to this power")
      .min(0.0);
  o.add("trg_reweight", static_cast<double T::*>(&M::trg_reweight),
        "multistep: scale the target's shared dimensions by the singular values to this power")
      .min(0.0);
  o.add("src_dewhiten", static_cast<std::string T::*>(&M::src_dewhiten),
        "multistep: restore the source side's covariance: none, src (its own), trg (the target's); needs whiten")
      .choices({"none", "src", "trg"});
  o.add("trg_dewhiten", static_cast<std::string T::*>(&M::trg_dewhiten),
        "multistep: restore the target side's covariance: none, src, trg; needs whiten")
      .choices({"none", "src", "trg"});
  o.add("dim_reduction", static_cast<std::int64_t T::*>(&M::dim_reduction),
        "multistep: keep this many shared dimensions (the largest singular values'); 0 keeps all")
      .min(0);
}

/// Rejects recipe settings that would do nothing or what VecMap forbids
/// (de-whitening without whitening), naming the method.* key.
void check_mapping_recipe(const MappingRecipe& recipe);

/// Solves the maps of `recipe` on the dictionary rows (in double precision).
LinearMaps solve_mapping(const torch::Tensor& source, const torch::Tensor& target, const IndexPairs& pairs,
                         const MappingRecipe& recipe);

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

/// Bags of words as a sparse [sentences, vocabulary] matrix: entry (i, w) is
/// idf(w) times the count of w in sentence i, idf(w) = max(1, log10(S / df(w)))
/// over the S sentences (MUSE's sentence-retrieval weights; df counts the
/// sentences holding w). Words outside `vocabulary` are skipped. Its product
/// with unit word vectors is each sentence's idf-weighted sum; rows without
/// a known word are empty.
torch::Tensor idf_bags(const std::vector<std::vector<std::string>>& sentences, const std::vector<std::string>& vocabulary);

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
  /// Similarity searches and solves: OpenBLAS on libtorch's thread count.
  bool work_is_matrix_products() const override { return true; }
  /// test.p{1,5,10}_{nn,csls}, test.coverage (%), and criterion.mean_cosine;
  /// with data `sentences:` (parallel_sentences) also sentences.p1_{nn,csls}:
  /// sentence-translation retrieval by idf-weighted sums of mapped word
  /// vectors (MUSE's protocol: CSLS's r of the candidates among the queries).
  Metrics evaluate(const EvalContext& ctx) override;

 protected:
  /// Source rows mapped by the current W: X W^T.
  torch::Tensor mapped_source() const;
  /// Target rows as retrieval sees them: Z V^T once a method moves the
  /// target (enable_target_mapping), else Z.
  torch::Tensor mapped_target() const;
  /// Sets W (no gradient history).
  void set_mapping(const torch::Tensor& w);
  /// Registers V ("target_mapping", identity) for methods whose solves move
  /// the target side; call in setup, after EmbeddingAlignment::setup.
  void enable_target_mapping();
  /// Sets W and V (V identity when maps.target is undefined).
  void set_maps(const LinearMaps& maps);
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
  /// sentences.p1_{nn,csls}, sentences.queries and sentences.candidates from unit mapped word rows.
  void add_sentence_metrics(const torch::Tensor& source_unit, const torch::Tensor& target_unit, Metrics& metrics) const;
  std::int64_t rows() const { return common_.retrieval_rows; }

  AlignmentOptions common_;
  torch::Tensor source_, target_;  ///< normalised [N, D], [M, D]
  torch::Tensor mapping_;          ///< W [d, D], registered "mapping"
  torch::Tensor target_mapping_;   ///< V [d, D], "target_mapping"; undefined: the target does not move
  const WordVectorsData* source_data_ = nullptr;
  const WordVectorsData* target_data_ = nullptr;
  const BilingualDictionaryData* dictionary_ = nullptr;
  IndexPairs train_pairs_;         ///< the dictionary's train split, in vocabulary
  std::vector<std::int64_t> test_queries_;                 ///< source rows of covered test words
  std::vector<std::vector<std::int64_t>> test_gold_;       ///< their gold target rows
  std::int64_t test_words_ = 0;                            ///< distinct test source words, covered or not
  torch::Tensor source_bags_, target_bags_;  ///< idf_bags of data `sentences:`, when given
  torch::Tensor sentence_queries_;           ///< its query rows that have a known word on both sides
  torch::Tensor sentence_candidates_;        ///< every row with a known word on both sides
};

}  // namespace graft
