#pragma once
// Aligned sentences for scoring a cross-lingual map by sentence-translation
// retrieval (methods/cross_lingual/alignment.h): the benchmark's two Bibles
// verse by verse, paired by their SWORD keys (datasets/crosslingual.h builds
// them), or two line-aligned text files of one's own (Europarl, say).

#include <cstdint>
#include <string>
#include <vector>

#include "core/data.h"
#include "core/options.h"

namespace graft {

struct ParallelSentencesOptions {
  std::string pair;     ///< the benchmark's verse-aligned Bibles ("en-es")
  std::string source;   ///< or: line-aligned text files of your own
  std::string target;
  std::int64_t queries = 2000;
  static void declare(OptionSet<ParallelSentencesOptions>& o);
};

/// Translations sentence by sentence, tokenised as the benchmark's corpora
/// (lower-cased runs of letters and digits): source[i] translates as
/// target[i]. The Bibles pair verses by their SWORD keys. `queries` are the
/// rows retrieved (a fixed sample); every row is a candidate. For scoring a
/// map by sentence-translation retrieval (methods/cross_lingual/alignment.h).
struct ParallelSentencesData : DataSet {
  using Options = ParallelSentencesOptions;
  ParallelSentencesData() = default;
  ParallelSentencesData(Options options, const DataContext& ctx);
  std::vector<std::vector<std::string>> source, target;
  std::vector<std::int64_t> queries;
};

}  // namespace graft
