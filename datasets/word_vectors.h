#pragma once
// The file formats of cross-lingual embedding work, read and written as the
// field's tools do (fastText/MUSE/VecMap):
//  * `.vec`: a header line "N D", then N lines "word v1 ... vD";
//  * MUSE dictionaries: one "source_word target_word" pair per line, a source
//    word repeated once per gold translation.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <torch/torch.h>

namespace graft {

/// A vocabulary and its vectors: row i of `matrix` is the vector of words[i],
/// in file order (fastText writes the most frequent words first).
struct WordVectors {
  std::vector<std::string> words;
  std::unordered_map<std::string, std::int64_t> index;
  torch::Tensor matrix;  ///< [N, D] float32

  std::int64_t size() const { return static_cast<std::int64_t>(words.size()); }
  std::int64_t dim() const { return matrix.defined() ? matrix.size(1) : 0; }
  /// Row of `word`, or -1.
  std::int64_t find(const std::string& word) const;
};

/// Reads the first `max_words` vectors of a `.vec` file (0: all). Memory is
/// the [max_words, D] float matrix plus the words: rows are parsed straight
/// into it. A repeated word keeps its first vector (as MUSE does). Throws
/// graft::Error naming the file and line for a bad header, a row with the
/// wrong number of values, a value that is not a number, or a file shorter
/// than its header says.
WordVectors read_vec(const std::string& path, std::int64_t max_words = 0);

/// One number of a `.vec` file: exactly the float std::from_chars gives for
/// `token` (false when it is not a whole number), fast for the short
/// decimals fastText writes ("-0.12345", "1.5e-05").
bool parse_vec_float(std::string_view token, float& out);

/// Writes `vectors` as a `.vec` file (temporary file, then rename).
void write_vec(const std::string& path, const WordVectors& vectors);

using WordPairs = std::vector<std::pair<std::string, std::string>>;

/// Reads a MUSE-format dictionary (whitespace-separated pairs, one a line;
/// blank lines ignored). A line without exactly two fields is an error naming
/// the file and line.
WordPairs read_muse_dictionary(const std::string& path);

/// Writes pairs in MUSE's format (temporary file, then rename).
void write_muse_dictionary(const std::string& path, const WordPairs& pairs);

}  // namespace graft
