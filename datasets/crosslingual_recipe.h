#pragma once
// The cross-lingual benchmark's recipe as the `graft` command sees it
// (datasets/crosslingual.h has the rest). Torch-free, so that the command
// line does not compile torch.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace graft {

/// The languages the recipe builds corpora and vectors for.
const std::vector<std::string>& crosslingual_languages();
/// The dictionary pairs the recipe builds ("en-es", "es-en", ...).
const std::vector<std::string>& crosslingual_pairs();
/// The dictionary recipes built side by side: 2 (FreeDict) and 3 (FreeDict
/// and Apertium; the default of `bilingual_dictionary`).
const std::vector<std::int64_t>& crosslingual_dictionary_recipes();

/// Fetches the packages, builds whatever of corpora, vectors and dictionaries
/// is missing, and writes a MANIFEST of sha256 sums. Registered as the data
/// recipe "crosslingual" (`graft data fetch crosslingual`; datasets/sources.h).
void build_crosslingual(const std::string& cache, std::ostream& log);

/// <cache>/derived/crosslingual-v2
std::string crosslingual_dir(const std::string& cache);

/// The Bible of `language` verse by verse ("key<TAB>tokens" lines), built
/// with the corpora: <cache>/derived/crosslingual-v2/verses.<language>.txt.
std::string crosslingual_verses_path(const std::string& cache, const std::string& language);
/// The languages whose corpus has a Bible (its verses align across them by key).
std::vector<std::string> crosslingual_bible_languages();

/// 0..n-1 shuffled by Fisher-Yates on mt19937_64 from `seed`: the same order
/// on every standard library (std::shuffle's is not), for the benchmark's
/// fixed samples.
std::vector<std::int64_t> fixed_permutation(std::int64_t n, std::uint64_t seed);

/// Reads a .vec file (its first `max_words` words; 0: all) as an experiment
/// would and returns one line: size, time, and peak memory over the process
/// before reading, beside the size of the matrix itself.
std::string check_vec_file(const std::string& path, std::int64_t max_words);

}  // namespace graft
