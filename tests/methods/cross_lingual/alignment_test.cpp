// Retrieval, CSLS, P@k, Procrustes and normalisation against hand-computed
// cases; coverage and the out-of-vocabulary policy through a real run.

#include "methods/cross_lingual/alignment.h"

#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/methods/cross_lingual/alignment_test_util.h"

namespace graft::testing {
namespace {

// Noise on the rotated target that leaves Procrustes between right and wrong
// on many test words, so that the bands can differ (measured here: P@1 NN
// 33.3, CSLS 51.7; at 0.6 it was 96, at 1.5 10).
constexpr double kBandNoise = 1.0;

TEST(AlignmentOutcome, ProcrustesRecoversAKnownOrthogonalMapExactly) {
  torch::manual_seed(0);
  const auto x = torch::randn({200, 12}, torch::kFloat64);
  auto [q, r] = torch::linalg_qr(torch::randn({12, 12}, torch::kFloat64));
  const auto y = torch::matmul(x, q.t());
  IndexPairs pairs;
  for (std::int64_t i = 0; i < 200; ++i) pairs.emplace_back(i, i);
  const auto w = procrustes(x, y, pairs);
  EXPECT_TRUE(torch::allclose(w, q, 1e-10, 1e-10));
  EXPECT_TRUE(torch::allclose(torch::matmul(w, w.t()), torch::eye(12, torch::kFloat64), 1e-10, 1e-10));
}

// The similarity blocks reuse one buffer; a last block shorter than the
// others (7 rows in blocks of 3) and a key set of another size must give
// what one unblocked product gives (values to float rounding: BLAS may take
// another kernel for a one-row block; the rankings exactly).
TEST(Alignment, BlockedSimilaritiesMatchTheUnblockedOnes) {
  torch::manual_seed(3);
  const auto q = torch::randn({7, 5});
  const auto k = torch::randn({11, 5});
  const auto r_q = mean_topk_similarity(q, k, 3);
  const auto r_k = mean_topk_similarity(k, q, 3);
  EXPECT_TRUE(torch::allclose(mean_topk_similarity(q, k, 3, /*rows=*/3), r_q, 1e-6, 1e-6));
  EXPECT_TRUE(torch::allclose(mean_topk_similarity(k, q, 3, /*rows=*/3), r_k, 1e-6, 1e-6));
  const auto expected = std::get<1>((2 * torch::matmul(q, k.t()) - r_q.unsqueeze(1) - r_k.unsqueeze(0)).topk(4, 1));
  EXPECT_TRUE(torch::equal(retrieve(q, k, 4, "csls", r_q, r_k, /*rows=*/3), expected));
  EXPECT_TRUE(torch::equal(retrieve(q, k, 4, "nn", {}, {}, /*rows=*/3), std::get<1>(torch::matmul(q, k.t()).topk(4, 1))));
  EXPECT_EQ(induce_mutual_csls(q, k, 7, 3, /*rows=*/3), induce_mutual_csls(q, k, 7, 3));
}

TEST(Alignment, CslsMatchesAHandComputedCase) {
  // Unit vectors in 2-D at angles (degrees): queries 0 and 90; keys 10, 20, 80.
  auto unit = [](double deg) {
    const double r = deg * M_PI / 180;
    return std::vector<double>{std::cos(r), std::sin(r)};
  };
  auto rows = [&](std::vector<double> degs) {
    std::vector<double> flat;
    for (double d : degs) for (double v : unit(d)) flat.push_back(v);
    return torch::tensor(flat, torch::kFloat64).view({static_cast<std::int64_t>(degs.size()), 2});
  };
  const auto q = rows({0, 90, 15});
  const auto k = rows({10, 20, 80});
  // k = 2: r(q0) = (cos10 + cos20) / 2, r(q1) = (cos10 + cos70) / 2 ...
  const auto r_q = mean_topk_similarity(q, k, 2);
  EXPECT_NEAR(r_q[0].item<double>(), (std::cos(10 * M_PI / 180) + std::cos(20 * M_PI / 180)) / 2, 1e-12);
  EXPECT_NEAR(r_q[1].item<double>(), (std::cos(10 * M_PI / 180) + std::cos(70 * M_PI / 180)) / 2, 1e-12);
  const auto r_k = mean_topk_similarity(k, q, 2);
  // Key 20's neighbours among the queries: 15 (5 deg) and 0 (20 deg).
  EXPECT_NEAR(r_k[1].item<double>(), (std::cos(5 * M_PI / 180) + std::cos(20 * M_PI / 180)) / 2, 1e-12);
  // The full CSLS score matrix by the formula, and the ranking it implies.
  const auto csls = 2 * torch::matmul(q, k.t()) - r_q.unsqueeze(1) - r_k.unsqueeze(0);
  const auto expected = std::get<1>(csls.topk(3, 1));
  EXPECT_TRUE(torch::equal(retrieve(q, k, 3, "csls", r_q, r_k), expected));
  EXPECT_TRUE(torch::equal(retrieve(q, k, 3, "csls", r_q, r_k, /*rows=*/1), expected));  // batched alike
  // Nearest neighbour of the 90-degree query is the 80-degree key.
  EXPECT_EQ(retrieve(q, k, 1, "nn")[1][0].item<std::int64_t>(), 2);
}

TEST(Alignment, CslsDemotesHubs) {
  // A hub key close to every query wins NN for both; CSLS picks each query's own key.
  const auto q = torch::tensor({{1.0, 0.0, 0.2}, {0.0, 1.0, 0.2}}, torch::kFloat64);
  const auto k = torch::tensor({{0.9, 0.0, 0.0}, {0.0, 0.9, 0.0}, {0.75, 0.75, 0.2}}, torch::kFloat64);
  EXPECT_EQ(retrieve(q, k, 1, "nn")[0][0].item<std::int64_t>(), 0);
  const auto r_q = mean_topk_similarity(q, k, 2), r_k = mean_topk_similarity(k, q, 2);
  const auto top = retrieve(q, k, 1, "csls", r_q, r_k);
  EXPECT_EQ(top[0][0].item<std::int64_t>(), 0);
  EXPECT_EQ(top[1][0].item<std::int64_t>(), 1);
}

TEST(Alignment, PrecisionAtKCountsAnyGoldTranslation) {
  const auto retrieved = torch::tensor({{3, 1, 2}, {0, 4, 5}, {7, 8, 9}}, torch::kInt64);
  const std::vector<std::vector<std::int64_t>> gold{{1, 3}, {5}, {6}};
  EXPECT_NEAR(precision_at_k(retrieved, gold, 1), 100.0 / 3, 1e-9);  // query 0: its second gold is first
  EXPECT_NEAR(precision_at_k(retrieved, gold, 2), 100.0 / 3, 1e-9);
  EXPECT_NEAR(precision_at_k(retrieved, gold, 3), 200.0 / 3, 1e-9);
}

TEST(Alignment, NormalizationStepsInOrder) {
  const auto m = torch::tensor({{3.0, 4.0}, {1.0, 0.0}}, torch::kFloat64);
  const auto unit = normalize_embeddings(m, {"unit"});
  EXPECT_TRUE(torch::allclose(unit.norm(2, {1}), torch::ones({2}, torch::kFloat64)));
  const auto centred = normalize_embeddings(m, {"unit", "center"});
  EXPECT_TRUE(torch::allclose(centred.mean(0), torch::zeros({2}, torch::kFloat64), 0, 1e-12));
  EXPECT_THROW(normalize_embeddings(m, {"whiten"}), Error);
}

TEST(Alignment, InducedMutualNeighboursOfAnExactMapAreTheIdentity) {
  torch::manual_seed(1);
  const auto x = normalize_embeddings(torch::randn({300, 16}), {"unit"});
  const auto pairs = induce_mutual_csls(x, x, 200, 10);
  ASSERT_EQ(pairs.size(), 200u);
  for (const auto& [a, b] : pairs) EXPECT_EQ(a, b);
}

TEST(Alignment, CoverageAndTheOutOfVocabularyPolicy) {
  RotatedVocabulary vocab;
  // 300 test source words plus one unknown: coverage 300/301.
  const auto dropped = train_small(vocab.experiment(1), "{name: procrustes}");
  EXPECT_NEAR(final_metric(dropped, "test.coverage"), 100.0 * 300 / 301, 1e-6);
  const auto wrong = train_small(vocab.experiment(1), "{name: procrustes, oov: wrong}");
  EXPECT_NEAR(final_metric(wrong, "test.p1_csls"), final_metric(dropped, "test.p1_csls") * 300 / 301, 1e-6);
}

// A test dictionary none of whose words the vocabularies have (swapped
// languages, another language pair) once gave coverage 0, no P@k columns and
// a finished run. Now the run fails saying so.
TEST(Alignment, ADictionaryTheVocabulariesDoNotCoverFailsTheRun) {
  RotatedVocabulary vocab;
  const std::string foreign = vocab.dir.write("foreign.txt", "perro dog\ngato cat\n");
  const auto r = train_small(vocab.experiment(1), "{name: procrustes}", 0, {"data.dictionary.test=" + foreign}, false);
  EXPECT_EQ(r.status, "failed");
  EXPECT_NE(r.message.find("none of its 2 test source words"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("foreign.txt"), std::string::npos) << r.message;
}


// The vocabulary is in frequency order, so a word's rank is its row. Test
// words are rows 600-899 (plus one out of vocabulary): edges [700, 800] make
// three bands of 100, whose P@1, weighted by their counts, is the overall P@1.
TEST(Alignment, PrecisionByFrequencyRankBandsAddsUpToTheWhole) {
  RotatedVocabulary vocab(1000, 20, kBandNoise);
  const auto r = train_small(vocab.experiment(1), "{name: procrustes, rank_bins: [700, 800]}");
  for (const char* method : {"nn", "csls"}) {
    SCOPED_TRACE(method);
    double weighted = 0;
    for (const char* band : {"rank_0_700", "rank_700_800", "rank_800_up"}) {
      EXPECT_EQ(final_metric(r, fmt::format("test.words.{}", band)), 100.0);
      weighted += final_metric(r, fmt::format("test.p1_{}.{}", method, band)) * 100.0;
    }
    const double overall = final_metric(r, fmt::format("test.p1_{}", method));
    EXPECT_GT(overall, 10.0);  // a case where the bands can differ
    EXPECT_LT(overall, 95.0);
    EXPECT_NEAR(weighted / 300.0, overall, 1e-6);
  }
  // Edges that do not increase are the option's error, with its place.
  TempDir dir;
  const auto file = dir.write("e.yaml", vocab.experiment(1) + "method: {name: procrustes, rank_bins: [800, 700]}\n");
  try {
    load_experiment(file, {});
    ADD_FAILURE() << "decreasing rank_bins were accepted";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("e.yaml:"), std::string::npos) << message;
    EXPECT_NE(message.find("method.rank_bins"), std::string::npos) << message;
    EXPECT_NE(message.find("element 1 (700) is not larger than element 0 (800)"), std::string::npos) << message;
  }
}

// MUSE's users ask for the induced translations (MUSE issues 103, 128).
TEST(Alignment, ExportsTheCslsTranslationsOfTheMostFrequentWords) {
  RotatedVocabulary vocab;
  TempDir dir;
  const auto file = dir.write("e.yaml", vocab.experiment(1) +
                                            "method: {name: procrustes, export_dictionary: 100, export_vectors: true}\n");
  const RunRecord r = train_run(load_experiment(file, {}).runs[0], dir.file("run"), {false, ""});
  ASSERT_EQ(r.status, "finished") << r.message;
  const WordPairs translations = read_muse_dictionary(dir.file("run") + "/translations.txt");
  ASSERT_EQ(translations.size(), 100u);
  std::int64_t right = 0;
  for (std::size_t i = 0; i < translations.size(); ++i) {
    EXPECT_EQ(translations[i].first, i < 50 ? std::to_string(i) : "s" + std::to_string(i));
    right += translations[i].second == (i < 50 ? std::to_string(i) : "t" + std::to_string(i));
  }
  EXPECT_GE(right, 99);  // the map is exact up to noise 0.01
  const WordVectors mapped = read_vec(dir.file("run") + "/mapped.vec");
  EXPECT_EQ(mapped.size(), 1000);
  EXPECT_EQ(mapped.dim(), 20);
}

// MUSE's weights: idf(w) = max(1, log10(S / df(w))). Of 20 sentences, "a"
// is in one (idf log10 20 = 1.30103, counted twice there) and "b" in all
// (log10 1 = 0, so 1); "z" is not in the vocabulary.
TEST(Alignment, IdfBagsMatchAHandComputedCase) {
  std::vector<std::vector<std::string>> sentences{{"a", "z", "a", "b"}};
  for (int i = 1; i < 20; ++i) sentences.push_back({"b"});
  const auto bags = idf_bags(sentences, {"a", "b", "c"}).to_dense();
  ASSERT_EQ(bags.sizes(), (std::vector<std::int64_t>{20, 3}));
  EXPECT_NEAR(bags[0][0].item<double>(), 2 * std::log10(20.0), 1e-6);
  EXPECT_NEAR(bags[0][1].item<double>(), 1.0, 1e-6);
  EXPECT_EQ(bags[0][2].item<double>(), 0.0);
  EXPECT_NEAR(bags[7].sum().item<double>(), 1.0, 1e-6);
}

// Sentences of the rotated vocabulary, line i of one file the word-for-word
// translation of line i of the other: an exact map retrieves every query's
// own translation; no map retrieves almost none.
TEST(Alignment, SentenceRetrievalFindsTranslationsUnderAGoodMapOnly) {
  RotatedVocabulary vocab;
  std::string source_text, target_text;
  std::mt19937_64 engine(5);
  for (int line = 0; line < 300; ++line) {
    for (int w = 0; w < 6; ++w) {
      const auto row = 50 + static_cast<int>(engine() % 950);
      source_text += "s" + std::to_string(row) + (w < 5 ? " " : "\n");
      target_text += "t" + std::to_string(row) + (w < 5 ? " " : "\n");
    }
  }
  const std::string sentences = "  sentences: {name: parallel_sentences, source: " + vocab.dir.write("s.txt", source_text) +
                                ", target: " + vocab.dir.write("t.txt", target_text) + ", queries: 200}\n";
  std::string experiment = vocab.experiment(1);
  experiment.insert(experiment.find("optimizer:"), sentences);
  const auto mapped = train_small(experiment, "{name: procrustes}");
  const auto unmapped = train_small(experiment, "{name: no_mapping}");
  EXPECT_EQ(final_metric(mapped, "sentences.queries"), 200.0);
  EXPECT_EQ(final_metric(mapped, "sentences.p1_nn"), 100.0);
  EXPECT_EQ(final_metric(mapped, "sentences.p1_csls"), 100.0);
  EXPECT_LT(final_metric(unmapped, "sentences.p1_csls"), 10.0);
  // Files that do not pair line by line are refused, naming both.
  const std::string short_target = vocab.dir.write("short.txt", "t60 t61\n");
  std::string broken = vocab.experiment(1);
  broken.insert(broken.find("optimizer:"), "  sentences: {name: parallel_sentences, source: " +
                                               vocab.dir.file("s.txt") + ", target: " + short_target + "}\n");
  try {
    const auto r = train_small(broken, "{name: procrustes}", 0, {}, false);
    EXPECT_NE(r.message.find("300 lines but"), std::string::npos) << r.message;
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("300 lines but"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace graft::testing
