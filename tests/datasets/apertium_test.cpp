// Apertium word pairs: lt-proc's stream format and the tag rules on
// hand-written cases, then the whole pipeline on Debian's apertium-eng-spa
// transducers (fetched by `graft data fetch all`) through the real lt-proc.

#include "datasets/apertium.h"

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/runtime.h"
#include "datasets/sources.h"
#include "tests/test_util.h"

namespace graft::testing {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(Apertium, ParsesTheStreamFormat) {
  const auto units = parse_lt_line("^houses/house<n><pl>/house<vblex><pri><p3><sg>$ ^x\\/y/*x\\/y$", "t", 1);
  ASSERT_EQ(units.size(), 2u);
  EXPECT_EQ(units[0].surface, "houses");
  EXPECT_EQ(units[0].readings, (std::vector<std::string>{"house<n><pl>", "house<vblex><pri><p3><sg>"}));
  EXPECT_EQ(units[1].surface, "x/y");  // an escaped slash is text
  EXPECT_EQ(units[1].readings, std::vector<std::string>{"*x/y"});
  EXPECT_TRUE(parse_lt_line("", "t", 1).empty());
  try {
    parse_lt_line("^open/open<vblex>", "out.txt", 7);
    FAIL() << "an unclosed unit was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("out.txt: line 7: a lexical unit opened with '^' is not closed"),
              std::string::npos)
        << e.what();
  }
}

TEST(Apertium, KeepsContentWordsOnly) {
  for (const char* kept : {"house<n><pl>", "run<vblex><past>", "beautiful<adj>", "quickly<adv>"})
    EXPECT_TRUE(is_content_reading(kept)) << kept;
  for (const char* dropped : {"the<det><def><sp>", "take# off<vblex><inf>", "*xyz", "<n>", "ice cream<n><sg>",
                              "Paris<np><loc>", "de+el<pr>"})
    EXPECT_FALSE(is_content_reading(dropped)) << dropped;
}

TEST(Apertium, OffersTheGeneratorTheFormsItNeeds) {
  using V = std::vector<std::string>;
  // English adjective -> Spanish: citation form added; nothing to drop.
  EXPECT_EQ(generation_candidates("hermoso<adj>"), (V{"hermoso<adj>", "hermoso<adj><m><sg>"}));
  EXPECT_EQ(generation_candidates("grande<adj><mf>"), (V{"grande<adj><mf>", "grande<adj><mf><sg>", "grande<adj>"}));
  // Spanish adjective -> English: gender, then number, dropped.
  EXPECT_EQ(generation_candidates("beautiful<adj><f><pl>"),
            (V{"beautiful<adj><f><pl>", "beautiful<adj><pl>", "beautiful<adj>"}));
  // Spanish noun -> English: gender dropped, number kept.
  EXPECT_EQ(generation_candidates("dog<n><m><sg>"), (V{"dog<n><m><sg>", "dog<n><sg>"}));
  EXPECT_EQ(generation_candidates("casa<n><f><pl>"), (V{"casa<n><f><pl>", "casa<n><pl>"}));
  EXPECT_EQ(generation_candidates("correr<vblex><past>"), V{"correr<vblex><past>"});
}

TEST(Apertium, ReadsWhatTheGeneratorPrinted) {
  EXPECT_EQ(generated_word("casas"), "casas");
  EXPECT_EQ(generated_word(" corriendo \r"), "corriendo");
  EXPECT_EQ(generated_word("#correr"), "");  // tags the generator cannot inflect
  EXPECT_EQ(generated_word("@houses"), "");
  EXPECT_EQ(generated_word("*xyz"), "");
  EXPECT_EQ(generated_word("Madrid"), "");
  EXPECT_EQ(generated_word("dos palabras"), "");
  EXPECT_EQ(generated_word(""), "");
}

ApertiumDirection direction_of(const std::string& name) {
  auto file = [&](const char* suffix) { return cached_source_file(data_cache_dir(), "apertium_eng_spa", name + suffix); };
  return {file(".automorf.bin"), file(".autobil.bin"), file(".autogen.bin")};
}

bool has(const Pairs& pairs, const std::string& source, const std::string& target) {
  return std::find(pairs.begin(), pairs.end(), std::make_pair(source, target)) != pairs.end();
}

// Each expected pair was checked by hand against lt-proc's three stages.
// fastText's vocabularies start with "</s>", which lt-proc reads as a tag
// that swallows every line after it: the first build of recipe 3 got 0 lines
// back for 21,338 words. Such words now reach lt-proc as blank lines.
TEST(Apertium, TranslatesInflectedFormsThroughDebiansEnglishSpanishPair) {
  TempDir dir;
  const Pairs en_es = apertium_translations(
      direction_of("eng-spa"),
      {"</s>", "houses", "house", "beautiful", "ran", "running", "the", "quickly", "well-known", "[x", "^y$"},
      dir.path());
  EXPECT_TRUE(has(en_es, "houses", "casas")) << "plural noun to plural noun";
  EXPECT_TRUE(has(en_es, "house", "casa"));
  EXPECT_TRUE(has(en_es, "beautiful", "hermoso")) << "adjective to its citation form";
  EXPECT_TRUE(has(en_es, "running", "corriendo")) << "gerund to gerund";
  EXPECT_TRUE(has(en_es, "quickly", "deprisa"));
  for (const auto& [source, target] : en_es) {
    EXPECT_NE(source, "the") << "closed-class word kept: " << target;
    EXPECT_NE(source, "well-known") << "a word lt-proc splits has no reading of its own";
    EXPECT_NE(source, "ran") << "English past has no person for the Spanish preterite, yet gave " << target;
    EXPECT_TRUE(source != "</s>" && source != "[x" && source != "^y$") << source;
  }
  const Pairs es_en = apertium_translations(direction_of("spa-eng"), {"casas", "perro", "hermosas", "corre"}, dir.path());
  EXPECT_TRUE(has(es_en, "casas", "houses"));
  EXPECT_TRUE(has(es_en, "perro", "dog")) << "gender dropped for English";
  EXPECT_TRUE(has(es_en, "hermosas", "beautiful")) << "gender and number dropped for English";
  EXPECT_TRUE(has(es_en, "corre", "runs"));
}

// lt-proc reads any file as a transducer (an empty one when it is not) and
// exits 0 with every word unknown; a wrong file must not give an empty
// dictionary silently.
TEST(Apertium, AWrongTransducerNamesItsStageAndFile) {
  TempDir dir;
  const std::string not_a_transducer = dir.write("broken.bin", "not a transducer");
  auto error_of = [&](const ApertiumDirection& direction) -> std::string {
    try {
      apertium_translations(direction, {"house", "houses"}, dir.path());
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  const auto right = direction_of("eng-spa");
  const std::string analysis = error_of({not_a_transducer, right.bilingual, right.generator});
  EXPECT_NE(analysis.find("Apertium analysis stage: none of 2 words is known to " + not_a_transducer),
            std::string::npos)
      << analysis;
  const std::string bilingual = error_of({right.analyser, direction_of("spa-eng").bilingual, right.generator});
  EXPECT_NE(bilingual.find("Apertium bilingual stage"), std::string::npos) << bilingual;
  const std::string generation = error_of({right.analyser, right.bilingual, not_a_transducer});
  EXPECT_NE(generation.find("Apertium generation stage: " + not_a_transducer), std::string::npos) << generation;
}

}  // namespace
}  // namespace graft::testing
