#include "datasets/parallel_sentences.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "core/config.h"
#include "core/error.h"
#include "core/registries.h"
#include "datasets/crosslingual_recipe.h"
#include "datasets/text_corpus.h"

namespace fs = std::filesystem;

namespace graft {

void ParallelSentencesOptions::declare(OptionSet<ParallelSentencesOptions>& o) {
  using P = ParallelSentencesOptions;
  o.add("pair", &P::pair, "a pair of the package benchmark's Bibles, verse-aligned: en-es, es-en");
  o.add("source", &P::source, "or a text file of your own, one sentence a line").path(PathKind::file);
  o.add("target", &P::target, "and its translation, line by line").path(PathKind::file);
  o.add("queries", &P::queries, "sentences retrieved (a fixed sample); every aligned sentence is a candidate").min(1);
}

namespace {

/// Reads "key<TAB>tokens" lines into key -> tokens.
std::map<std::string, std::string> read_keyed_lines(const std::string& path) {
  std::map<std::string, std::string> out;
  std::istringstream lines(read_file(path));
  std::int64_t line_number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++line_number;
    const auto tab = line.find('\t');
    if (tab == std::string::npos)
      throw Error(fmt::format("{}:{}: expected 'key<TAB>text'; delete the file and rebuild it with graft data fetch "
                              "crosslingual",
                              path, line_number));
    out.emplace(line.substr(0, tab), line.substr(tab + 1));
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream lines(read_file(path));
  for (std::string line; std::getline(lines, line);) out.push_back(line);
  return out;
}

}  // namespace

ParallelSentencesData::ParallelSentencesData(Options options, const DataContext& ctx) {
  if (options.pair.empty() == options.source.empty() || options.source.empty() != options.target.empty())
    throw Error(fmt::format("data.{}: parallel_sentences needs either `pair:` (en-es, es-en) or both `source:` and "
                            "`target:` files",
                            ctx.domain));
  std::vector<std::string> source_lines, target_lines;
  if (!options.pair.empty()) {
    const std::string from = options.pair.substr(0, 2), to = options.pair.size() == 5 ? options.pair.substr(3) : "";
    const auto languages = crosslingual_bible_languages();
    auto has_bible = [&](const std::string& l) { return std::find(languages.begin(), languages.end(), l) != languages.end(); };
    if (options.pair.size() != 5 || options.pair[2] != '-' || !has_bible(from) || !has_bible(to) || from == to)
      throw Error(fmt::format("data.{}: pair '{}' has no verse-aligned Bibles in the benchmark; languages with one: "
                              "{}",
                              ctx.domain, options.pair, fmt::join(languages, ", ")));
    for (const auto& l : {from, to})
      if (!fs::exists(crosslingual_verses_path(ctx.cache_dir, l)))
        throw DataMissing(fmt::format("{}: the Bible verses are not built yet. Build the benchmark first: graft "
                                      "data fetch crosslingual",
                                      crosslingual_verses_path(ctx.cache_dir, l)));
    const auto source_verses = read_keyed_lines(crosslingual_verses_path(ctx.cache_dir, from));
    const auto target_verses = read_keyed_lines(crosslingual_verses_path(ctx.cache_dir, to));
    for (const auto& [key, text] : source_verses)  // keys in sorted order: a fixed order
      if (auto t = target_verses.find(key); t != target_verses.end()) {
        source_lines.push_back(text);
        target_lines.push_back(t->second);
      }
    name = "parallel_sentences:" + options.pair;
  } else {
    source_lines = lines_of(options.source);
    target_lines = lines_of(options.target);
    if (source_lines.size() != target_lines.size())
      throw Error(fmt::format("data.{}: {} has {} lines but {} has {}; parallel files pair line i with line i",
                              ctx.domain, options.source, source_lines.size(), options.target, target_lines.size()));
    name = "parallel_sentences:" + options.source;
  }
  for (std::size_t i = 0; i < source_lines.size(); ++i) {
    auto s = tokenize(source_lines[i]);
    auto t = tokenize(target_lines[i]);
    if (s.empty() || t.empty()) continue;
    source.push_back(std::move(s));
    target.push_back(std::move(t));
  }
  if (static_cast<std::int64_t>(source.size()) < options.queries)
    throw Error(fmt::format("data.{}: {} has {} aligned sentences with words on both sides, fewer than queries: {}",
                            ctx.domain, name, source.size(), options.queries));
  // The queries: a fixed sample, the same for every method and run.
  auto order = fixed_permutation(static_cast<std::int64_t>(source.size()), /*seed=*/0);
  order.resize(static_cast<std::size_t>(options.queries));
  std::sort(order.begin(), order.end());
  queries = std::move(order);
}


GRAFT_REGISTER_DATASET(ParallelSentencesData, "parallel_sentences",
                       "aligned sentences for sentence-translation retrieval: the benchmark's Bible verses (pair: "
                       "en-es, es-en) or two line-aligned text files of your own (source:, target:)");

}  // namespace graft
