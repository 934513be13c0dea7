// Line-aligned sentences of one's own, and the benchmark's verses paired by key.

#include "datasets/parallel_sentences.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/error.h"
#include "datasets/crosslingual_recipe.h"
#include "tests/test_util.h"

namespace graft::testing {
namespace {

std::string error_of(const ParallelSentencesOptions& options, const DataContext& ctx) {
  try {
    ParallelSentencesData data(options, ctx);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ParallelSentences, PairsLinesTokenisedAndSkipsPairsWithAnEmptySide) {
  TempDir dir;
  ParallelSentencesOptions options;
  options.source = dir.write("en.txt", "The House, the dog.\n\nA cat\nseven\n");
  options.target = dir.write("es.txt", "La casa, el perro.\nnada\nUn gato\nsiete\n");
  options.queries = 2;
  const DataContext ctx{0, dir.path(), "sentences"};
  const ParallelSentencesData data(options, ctx);
  ASSERT_EQ(data.source.size(), 3u);  // line 2 has no English words
  EXPECT_EQ(data.source[0], (std::vector<std::string>{"the", "house", "the", "dog"}));
  EXPECT_EQ(data.target[1], (std::vector<std::string>{"un", "gato"}));
  ASSERT_EQ(data.queries.size(), 2u);
  EXPECT_LT(data.queries[0], data.queries[1]);  // a fixed sample, in order
  EXPECT_EQ(ParallelSentencesData(options, ctx).queries, data.queries);

  options.queries = 4;
  EXPECT_NE(error_of(options, ctx).find("3 aligned sentences"), std::string::npos) << error_of(options, ctx);
  options.target = dir.write("short.txt", "uno\n");
  EXPECT_NE(error_of(options, ctx).find("has 4 lines but"), std::string::npos) << error_of(options, ctx);
}

TEST(ParallelSentences, APairNeedsBiblesInBothLanguagesAndSaysWhichHaveOne) {
  TempDir dir;
  const DataContext ctx{0, dir.path(), "sentences"};
  ParallelSentencesOptions options;
  options.pair = "en-fr";
  const std::string e = error_of(options, ctx);
  EXPECT_NE(e.find("en-fr"), std::string::npos) << e;
  EXPECT_NE(e.find("en, es"), std::string::npos) << e;  // the languages with a Bible
  options.pair = "en-es";  // not built in this empty cache
  try {
    ParallelSentencesData data(options, ctx);
    ADD_FAILURE() << "a missing verse file must be reported";
  } catch (const DataMissing& missing) {
    EXPECT_NE(std::string(missing.what()).find("graft data fetch crosslingual"), std::string::npos) << missing.what();
  }
  // Built verse files pair by key, whatever their order.
  std::filesystem::create_directories(crosslingual_dir(dir.path()));
  const auto write = [&](const std::string& language, const std::string& text) {
    std::ofstream(crosslingual_verses_path(dir.path(), language)) << text;
  };
  write("en", "John 1:1\tin the beginning was the word\nJohn 1:2\tthe same was in the beginning\nJude 1:1\tjude\n");
  write("es", "John 1:2\teste era en el principio\nJohn 1:1\ten el principio era el verbo\n");
  options.queries = 1;
  const ParallelSentencesData data(options, ctx);
  ASSERT_EQ(data.source.size(), 2u);
  EXPECT_EQ(data.source[0].back(), "word");
  EXPECT_EQ(data.target[0].back(), "verbo");
}

}  // namespace
}  // namespace graft::testing
