// The benchmark's dictionaries: FreeDict's real dictd files (fetched by
// `graft data fetch all`) and the MUSE-style split.

#include "datasets/crosslingual.h"

#include <set>

#include <gtest/gtest.h>

#include "core/runtime.h"
#include "datasets/sources.h"
#include "tests/test_util.h"

namespace graft::testing {
namespace {

TEST(Crosslingual, ReadsFreeDictEntriesAsSingleWordPairs) {
  const std::string cache = data_cache_dir();
  const auto pairs = read_freedict(cached_source_file(cache, "freedict_eng_spa", "freedict-eng-spa.index"),
                                   cached_source_file(cache, "freedict_eng_spa", "freedict-eng-spa.dict.dz"));
  const std::set<std::pair<std::string, std::string>> all(pairs.begin(), pairs.end());
  // "abate /əbeit/  1. calmarse, sosegarse  2. amainar ..." gives each alternative.
  for (const char* es : {"calmarse", "sosegarse", "amainar", "disminuir", "menguar"})
    EXPECT_TRUE(all.count({"abate", es})) << es;
  EXPECT_TRUE(all.count({"abbey", "abadía"}));
  EXPECT_GT(pairs.size(), 5000u);
  for (const auto& [en, es] : pairs) {
    EXPECT_EQ(en.find(' '), std::string::npos);
    EXPECT_EQ(es.find('/'), std::string::npos);
  }
  const auto reversed = read_freedict(cached_source_file(cache, "freedict_spa_eng", "freedict-spa-eng.index"),
                                      cached_source_file(cache, "freedict_spa_eng", "freedict-spa-eng.dict.dz"), true);
  const std::set<std::pair<std::string, std::string>> rev(reversed.begin(), reversed.end());
  EXPECT_TRUE(rev.count({"water", "agua"}));  // "agua /ˈaɣwa/ water", reversed
  EXPECT_FALSE(rev.count({"iceland", "islandia"}));  // capitalised headwords (names) are left out
}

// Found by fuzz_freedict: an offset near 2^64 wrapped `offset + length`
// around, passed the bounds check, and substr threw std::out_of_range,
// which ended graft.
TEST(Crosslingual, FreeDictOffsetsPastTheDictionaryNameTheLine) {
  TempDir dir;
  const std::string dict = dir.write("d.dict", "abbey /abi/\nabadía\n");
  const auto error_of = [&](const std::string& index_line) {
    try {
      read_freedict(dir.write("d.index", "abbey\tA\tU\n" + index_line), dict);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("read");
  };
  EXPECT_EQ(error_of(""), "read");
  // 2^64 - 1 ("P" then ten "/", base 64), length 1: the sum wraps to 0.
  EXPECT_NE(error_of("abbot\tP//////////\tB\n").find("d.index:2: entry 'abbot' points past the end of"),
            std::string::npos) << error_of("abbot\tP//////////\tB\n");
  EXPECT_NE(error_of("abbot\tA\t///////////////\n").find("d.index:2: dictd number '///////////////' is too large"),
            std::string::npos);
}

TEST(Crosslingual, SplitIsDisjointKeepsEveryGoldAndIsFixed) {
  WordVectors en, es;
  for (int i = 0; i < 100; ++i) {
    en.words.push_back("e" + std::to_string(i));
    en.index[en.words.back()] = i;
    es.words.push_back("s" + std::to_string(i));
    es.index[es.words.back()] = i;
  }
  WordPairs pairs;
  for (int i = 0; i < 100; ++i) {
    pairs.emplace_back("e" + std::to_string(i), "s" + std::to_string(i));
    if (i % 3 == 0) pairs.emplace_back("e" + std::to_string(i), "s" + std::to_string((i + 1) % 100));
  }
  pairs.emplace_back("e1", "missing");  // not in the target vocabulary: dropped
  const auto split = split_dictionary(pairs, en, es, 30, 20, 0);
  std::set<std::string> test_words, train_words;
  for (const auto& [s, t] : split.test) test_words.insert(s);
  for (const auto& [s, t] : split.train) train_words.insert(s);
  EXPECT_EQ(test_words.size(), 20u);
  EXPECT_EQ(split.train.size(), 30u);
  for (const auto& w : test_words) EXPECT_FALSE(train_words.count(w)) << w;
  std::size_t expected_test_pairs = 0;
  for (const auto& w : test_words) expected_test_pairs += std::stoi(w.substr(1)) % 3 == 0 ? 2 : 1;
  EXPECT_EQ(split.test.size(), expected_test_pairs);
  const auto again = split_dictionary(pairs, en, es, 30, 20, 0);
  EXPECT_EQ(again.test, split.test);
  EXPECT_NE(split_dictionary(pairs, en, es, 30, 20, 1).test, split.test);
}

TEST(Crosslingual, DataSetsExplainWhatIsMissing) {
  TempDir dir;
  DataContext ctx{0, dir.path(), "source"};
  WordVectorsOptions vectors;
  vectors.language = "xx";
  try {
    WordVectorsData data(vectors, ctx);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("en, es, fr"), std::string::npos) << e.what();
  }
  vectors.language = "en";
  try {
    WordVectorsData data(vectors, ctx);
    FAIL();
  } catch (const DataMissing& e) {
    EXPECT_NE(std::string(e.what()).find("graft data fetch crosslingual"), std::string::npos) << e.what();
  }
  BilingualDictionaryOptions dict;
  dict.pair = "en-xx";
  EXPECT_THROW(BilingualDictionaryData(dict, ctx), Error);
}

}  // namespace
}  // namespace graft::testing
