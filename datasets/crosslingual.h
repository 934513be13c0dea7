#pragma once
// The cross-lingual benchmark graft builds from Debian packages (Wikipedia
// vectors cannot be downloaded here), and the two data sets that read it, or
// a user's own `.vec` files and MUSE dictionaries:
//
//   corpora      Bible translations (sword-text-web, sword-text-sparv, via
//                mod2imp from libsword-utils) and the same manuals and help
//                translated into each language (LibreOffice help, GIMP help,
//                the Debian reference, man pages, the installation guide,
//                GNOME help, the aptitude and LilyPond manuals) and fortunes;
//                lower-cased tokens,
//                one verse or paragraph a line, lines of untranslated
//                English dropped from the translations, duplicates dropped;
//   vectors      Debian's fastText, skip-gram, 300 dimensions, 5 epochs,
//                minCount 5, 500,000 buckets, one thread and seed 0 so the
//                vectors are reproducible;
//   dictionaries recipe 2: FreeDict (dict-freedict-eng-spa + the reverse
//                spa-eng, and the same for French), single-word entries;
//                recipe 3 (the default since): the same plus Apertium's
//                English-Spanish pair in both directions over each
//                vocabulary (datasets/apertium.h; Debian has no English-French
//                Apertium pair, so en-fr is the same in both recipes);
//                restricted to words both vocabularies have, split by source
//                word with a fixed seed into test (1,500 source words, every
//                gold translation) and train (up to 5,000 pairs, disjoint
//                source words), MUSE format.
// Everything lands in <cache>/derived/crosslingual-v2/ with a MANIFEST of sha256
// sums; `graft data fetch crosslingual` builds it (about 12 minutes on 2 cores,
// nearly all of it fastText).

#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "core/data.h"
#include "core/options.h"
#include "datasets/crosslingual_recipe.h"
#include "datasets/word_vectors.h"

namespace graft {


/// Pairs (source word, target word) of a FreeDict dictd database: headwords
/// and their single-word translations, lower-cased; `reverse` swaps them (to
/// read spa-eng as more eng-spa pairs). Throws naming the file on bad data.
WordPairs read_freedict(const std::string& index_path, const std::string& dict_path, bool reverse = false);

/// A MUSE-style split of `pairs` restricted to words both vocabularies have:
/// `test_words` source words (with all their translations) drawn with `seed`,
/// and up to `train_pairs` pairs of the other source words, most frequent
/// source words first.
struct DictionarySplit {
  WordPairs train, test;
};
DictionarySplit split_dictionary(const WordPairs& pairs, const WordVectors& source, const WordVectors& target,
                                 std::int64_t train_pairs, std::int64_t test_words, std::uint64_t seed);

// ---- data sets -------------------------------------------------------------

struct WordVectorsOptions {
  std::string language;        ///< a language of the package benchmark (en, es, fr)
  std::string path;            ///< or: a .vec file of your own
  std::int64_t max_words = 200000;
  static void declare(OptionSet<WordVectorsOptions>& o);
};

/// A vocabulary: one language's vectors. Split "all" holds the [N, D]
/// matrix, `words` the word of each row, in frequency order. The cross-lingual
/// methods' own kind of data set (the core knows nothing of words).
struct WordVectorsData : DataSet {
  using Options = WordVectorsOptions;
  WordVectorsData() = default;
  WordVectorsData(Options options, const DataContext& ctx);
  std::vector<std::string> words;
};

struct BilingualDictionaryOptions {
  std::string pair;   ///< a pair of the package benchmark ("en-es")
  std::int64_t recipe = 3;  ///< its dictionary recipe: 2 (FreeDict) or 3 (FreeDict and Apertium)
  std::string train;  ///< or: MUSE-format files of your own
  std::string test;
  static void declare(OptionSet<BilingualDictionaryOptions>& o);
};

/// Word pairs under word_pairs["train"] and word_pairs["test"]; no examples.
struct BilingualDictionaryData : DataSet {
  using Options = BilingualDictionaryOptions;
  BilingualDictionaryData() = default;
  BilingualDictionaryData(Options options, const DataContext& ctx);
  std::map<std::string, WordPairs> word_pairs;
};

}  // namespace graft
