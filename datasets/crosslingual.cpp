#include "datasets/crosslingual.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <ostream>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_set>

#include <fmt/format.h>

#include "core/config.h"
#include "core/error.h"
#include "core/process.h"
#include "core/registries.h"
#include "core/runtime.h"
#include "datasets/apertium.h"
#include "datasets/sources.h"
#include "datasets/text_corpus.h"

extern char** environ;

namespace fs = std::filesystem;

namespace graft {
namespace {

/// One document collection of a language's corpus.
struct CorpusPart {
  const char* source;  ///< data source (datasets/sources.cpp)
  const char* format;  ///< "osis", "html", "lo_html" (LibreOffice: DisplayArea only), "fortunes", "man" (gzipped roff)
  const char* where;   ///< folder inside the source, or the SWORD module name for "osis"
  const char* suffix;  ///< files whose names end so ("" : any .html; for fortunes "": no extension)
  std::string only = "";  ///< space-separated file names: just these (for manuals shipped twice, split and whole)
};

// The LilyPond manuals that exist in all three languages, each as its one-page
// edition (the split pages repeat the same text); translations carry ".es"/".fr".
std::string lilypond_manuals(const std::string& language) {
  const std::string suffix = language == "en" ? ".html" : "." + language + ".html";
  std::string names;
  for (const char* manual : {"essay", "extending", "learning", "notation", "snippets", "usage", "web"})
    names += std::string(names.empty() ? "" : " ") + manual + "-big-page" + suffix;
  return names;
}

// Recipe version 2 added man pages, the installation guide, GNOME help, the
// aptitude, Debian Edu, KiCad and LilyPond manuals: version 1 (about 12 MB of English, 9.5 MB of
// Spanish) gave vectors too weak for unsupervised mapping.
const std::map<std::string, std::vector<CorpusPart>>& corpus_recipe() {
  static const std::map<std::string, std::vector<CorpusPart>> recipe{
      {"en",
       {{"bible_web", "osis", "engWEB2015eb", ""},
        {"lo_help_en", "lo_html", "usr/share/libreoffice/help/en-US", ".html"},
        {"gimp_help_en", "html", "usr/share/gimp/2.0/help/en", ".html"},
        {"debref_en", "html", "usr/share/debian-reference", ".en.html"},
        {"fortunes_en", "fortunes", "usr/share/games/fortunes", ""},
        {"man_en", "man", "usr/share/man", ".gz"},
        {"man_dev_en", "man", "usr/share/man", ".gz"},
        {"install_guide", "html", "usr/share/doc/installation-guide-amd64/en", ".html"},
        {"gnome_help", "html", "usr/share/help/C/gnome-help", ".page"},
        {"aptitude_doc_en", "html", "usr/share/doc/aptitude/html/en", ".html"},
        {"debian_edu_en", "html", "usr/share/doc/debian-edu-doc-en", ".html", "debian-edu-bookworm-manual.html"},
        {"kicad_doc_en", "html", "usr/share/doc/kicad/help/en", ".html"},
        {"lilypond_en", "html", "usr/share/doc/lilypond/html/Documentation", ".html", lilypond_manuals("en")}}},
      {"es",
       {{"bible_sparv", "osis", "spaRV1909eb", ""},
        {"lo_help_es", "lo_html", "usr/share/libreoffice/help/es", ".html"},
        {"gimp_help_es", "html", "usr/share/gimp/2.0/help/es", ".html"},
        {"debref_es", "html", "usr/share/debian-reference", ".es.html"},
        {"fortunes_es", "fortunes", "usr/share/games/fortunes/es", ".u8"},
        {"man_es", "man", "usr/share/man/es", ".gz"},
        {"install_guide", "html", "usr/share/doc/installation-guide-amd64/es", ".html"},
        {"gnome_help", "html", "usr/share/help/es/gnome-help", ".page"},
        {"aptitude_doc_es", "html", "usr/share/doc/aptitude/html/es", ".html"},
        {"debian_edu_es", "html", "usr/share/doc/debian-edu-doc-es", ".html", "debian-edu-bookworm-manual.html"},
        {"kicad_doc_es", "html", "usr/share/doc/kicad/help/es", ".html"},
        {"lilypond_es", "html", "usr/share/doc/lilypond/html/Documentation", ".html", lilypond_manuals("es")}}},
      {"fr",
       {{"lo_help_fr", "lo_html", "usr/share/libreoffice/help/fr", ".html"},
        {"gimp_help_fr", "html", "usr/share/gimp/2.0/help/fr", ".html"},
        {"debref_fr", "html", "usr/share/debian-reference", ".fr.html"},
        {"man_fr", "man", "usr/share/man/fr", ".gz"},
        {"install_guide", "html", "usr/share/doc/installation-guide-amd64/fr", ".html"},
        {"gnome_help", "html", "usr/share/help/fr/gnome-help", ".page"},
        {"aptitude_doc_fr", "html", "usr/share/doc/aptitude/html/fr", ".html"},
        {"debian_edu_fr", "html", "usr/share/doc/debian-edu-doc-fr", ".html", "debian-edu-bookworm-manual.html"},
        {"kicad_doc_fr", "html", "usr/share/doc/kicad/help/fr", ".html"},
        {"lilypond_fr", "html", "usr/share/doc/lilypond/html/Documentation", ".html", lilypond_manuals("fr")}}},
  };
  return recipe;
}

/// FreeDict databases whose pairs make up a dictionary: (source, reversed).
const std::map<std::string, std::vector<std::pair<const char*, bool>>>& dictionary_recipe() {
  static const std::map<std::string, std::vector<std::pair<const char*, bool>>> recipe{
      {"en-es", {{"freedict_eng_spa", false}, {"freedict_spa_eng", true}}},
      {"es-en", {{"freedict_spa_eng", false}, {"freedict_eng_spa", true}}},
      {"en-fr", {{"freedict_eng_fra", false}, {"freedict_fra_eng", true}}},
      {"fr-en", {{"freedict_fra_eng", false}, {"freedict_eng_fra", true}}},
  };
  return recipe;
}

/// Recipe 3's Apertium directions for a pair: (Apertium direction, reversed).
/// Debian 12 packages no English-French Apertium pair (apertium-eng-fra does
/// not exist; only eo-fr, fr-es, br-fr...), so en-fr stays FreeDict alone.
const std::map<std::string, std::vector<std::pair<const char*, bool>>>& apertium_recipe() {
  static const std::map<std::string, std::vector<std::pair<const char*, bool>>> recipe{
      {"en-es", {{"eng-spa", false}, {"spa-eng", true}}},
      {"es-en", {{"spa-eng", false}, {"eng-spa", true}}},
  };
  return recipe;
}

// fastText settings of the recipe (see crosslingual.h).
constexpr int kDim = 300, kEpochs = 5, kMinCount = 5, kBuckets = 500000, kSeed = 0;
constexpr std::int64_t kTrainPairs = 5000, kTestWords = 1500;
constexpr std::uint64_t kSplitSeed = 0;

/// Runs a command, returns its standard output; throws with `what` on failure.
std::string capture(const std::string& command, const std::string& what) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw Error(fmt::format("{}: cannot start `{}`", what, command));
  char buffer[1 << 16];
  std::size_t got;
  while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, got);
  const int status = pclose(pipe);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error(fmt::format("{}: `{}` failed (exit {})", what, command, WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  return output;
}

bool on_path(const std::string& program) {
  return std::system(("command -v " + program + " > /dev/null 2>&1").c_str()) == 0;
}

std::vector<std::string> files_of(const std::string& dir, const std::string& suffix, bool recursive) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  auto take = [&](const fs::directory_entry& e) {
    if (!e.is_regular_file()) return;
    const std::string name = e.path().filename().string();
    const bool ok = suffix.empty() ? name.find('.') == std::string::npos
                                   : name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    if (ok) out.push_back(e.path().string());
  };
  if (recursive)
    for (const auto& e : fs::recursive_directory_iterator(dir)) take(e);
  else
    for (const auto& e : fs::directory_iterator(dir)) take(e);
  std::sort(out.begin(), out.end());  // directory order is not stable across file systems
  return out;
}

std::string gunzip_file(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw Error(fmt::format("{}: cannot open", path));
  std::string out;
  char buffer[1 << 16];
  int got;
  while ((got = gzread(f, buffer, sizeof buffer)) > 0) out.append(buffer, got);
  const bool failed = got < 0;
  gzclose(f);
  if (failed) throw Error(fmt::format("{}: damaged gzip/dictzip data", path));
  return out;
}

/// Plain text of one corpus part (one paragraph or verse per line).
std::vector<std::string> part_texts(const std::string& cache, const CorpusPart& part) {
  const std::string root = source_dir(cache, data_source(part.source));
  const std::string format = part.format;
  std::vector<std::string> texts;
  if (format == "osis") {
    if (!on_path("mod2imp"))
      throw Error("mod2imp is missing: install Debian's libsword-utils (third_party/install-debian-packages.sh does)");
    texts.push_back(osis_to_text(capture(
        fmt::format("SWORD_PATH='{}/usr/share/sword' mod2imp '{}' 2>/dev/null", root, part.where),
        fmt::format("{}: exporting SWORD module {}", part.source, part.where))));
  } else if (format == "fortunes") {
    for (const auto& f : files_of(root + "/" + part.where, part.suffix, false)) texts.push_back(fortunes_to_text(read_file(f)));
  } else if (format == "man") {
    for (const auto& f : files_of(root + "/" + part.where, part.suffix, true)) texts.push_back(man_to_text(gunzip_file(f)));
  } else {
    std::vector<std::string> files;
    if (!part.only.empty()) {
      std::istringstream names(part.only);
      for (std::string name; names >> name;) {
        const std::string file = root + "/" + part.where + "/" + name;
        if (!fs::exists(file))
          throw Error(fmt::format("{}: {} is missing from the package ({}): its layout changed; update the "
                                  "file list of '{}' in corpus_recipe() (datasets/crosslingual.cpp)",
                                  part.source, file, data_source(part.source).package, part.source));
        files.push_back(file);
      }
    } else {
      files = files_of(root + "/" + part.where, part.suffix, true);
    }
    for (const auto& f : files) texts.push_back(html_to_text(read_file(f), format == "lo_html" ? "DisplayArea" : ""));
  }
  return texts;
}

std::string corpus_path(const std::string& cache, const std::string& language) {
  return crosslingual_dir(cache) + "/corpus." + language + ".txt";
}
std::string vectors_path(const std::string& cache, const std::string& language) {
  return crosslingual_dir(cache) + "/vectors." + language + ".vec";
}
std::string dictionary_path(const std::string& cache, const std::string& pair, const std::string& split,
                            std::int64_t recipe) {
  // Recipe 2's names are kept, so that caches built before recipe 3 stay valid.
  return crosslingual_dir(cache) + (recipe == 2 ? "/dictionary." : "/dictionary-v3.") + pair + "." + split + ".txt";
}

/// verses.<language>.txt: "key<TAB>tokens" for each verse of the language's
/// Bible, tokenised as the corpus is.
void build_verses(const std::string& cache, const std::string& language, std::ostream& log) {
  const std::string path = crosslingual_verses_path(cache, language);
  if (fs::exists(path)) return;
  if (!on_path("mod2imp"))
    throw Error("mod2imp is missing: install Debian's libsword-utils (third_party/install-debian-packages.sh does)");
  std::string out;
  std::int64_t verses = 0;
  for (const auto& part : corpus_recipe().at(language)) {
    if (std::string(part.format) != "osis") continue;
    const std::string root = source_dir(cache, data_source(part.source));
    const auto imp = capture(fmt::format("SWORD_PATH='{}/usr/share/sword' mod2imp '{}' 2>/dev/null", root, part.where),
                             fmt::format("{}: exporting SWORD module {}", part.source, part.where));
    for (const auto& [key, text] : osis_verses(imp)) {
      const auto tokens = tokenize(text);
      // "Genesis 0:0", "Genesis 1:0": a book's or chapter's heading, not a verse.
      if (tokens.empty() || key.empty() || (key.size() > 2 && key.compare(key.size() - 2, 2, ":0") == 0)) continue;
      out += key + '\t' + fmt::format("{}", fmt::join(tokens, " ")) + '\n';
      ++verses;
    }
  }
  write_file_atomically(path, out);
  log << fmt::format("  verses {}: {} -> {}\n", language, verses, path);
}

/// Pairs of one Apertium direction over `words`, reversed when asked.
WordPairs apertium_pairs(const std::string& cache, const std::string& direction, const std::vector<std::string>& words,
                         bool reversed) {
  auto file = [&](const char* suffix) { return cached_source_file(cache, "apertium_eng_spa", direction + suffix); };
  const std::string work_dir = crosslingual_dir(cache) + "/.apertium." + direction;
  fs::create_directories(work_dir);
  auto pairs = apertium_translations({file(".automorf.bin"), file(".autobil.bin"), file(".autogen.bin")}, words,
                                     work_dir);
  fs::remove_all(work_dir);
  if (reversed)
    for (auto& [a, b] : pairs) std::swap(a, b);
  return pairs;
}

void build_corpus(const std::string& cache, const std::string& language, std::ostream& log) {
  const std::string path = corpus_path(cache, language);
  if (fs::exists(path)) return;
  std::unordered_set<std::string> seen;
  std::string corpus;
  std::int64_t total_tokens = 0;
  for (const auto& part : corpus_recipe().at(language)) {
    std::int64_t tokens_kept = 0, lines_foreign = 0;
    for (const auto& text : part_texts(cache, part)) {
      std::istringstream lines(text);
      std::string line;
      while (std::getline(lines, line)) {
        const auto tokens = tokenize(line);
        if (tokens.empty()) continue;
        // Translated manuals keep some English; the Bible and English
        // documents need no filter.
        if (language != "en" && std::string(part.format) != "osis" && !line_is_language(tokens, language, "en")) {
          ++lines_foreign;
          continue;
        }
        std::string joined;
        for (const auto& t : tokens) joined += (joined.empty() ? "" : " ") + t;
        // Help pages repeat the same boilerplate hundreds of times.
        if (!seen.insert(joined).second) continue;
        corpus += joined + '\n';
        tokens_kept += static_cast<std::int64_t>(tokens.size());
      }
    }
    total_tokens += tokens_kept;
    log << fmt::format("  corpus {}: {:<13} {:>9} tokens ({} lines of another language dropped)\n", language,
                       part.source, tokens_kept, lines_foreign);
  }
  write_file_atomically(path, corpus);
  log << fmt::format("  corpus {}: {} tokens -> {}\n", language, total_tokens, path);
}

/// Trains fastText for every language without vectors, several at a time
/// (one thread each: fastText is only reproducible on one thread).
void train_vectors(const std::string& cache, std::ostream& log) {
  std::vector<std::string> missing;
  for (const auto& language : crosslingual_languages())
    if (!fs::exists(vectors_path(cache, language))) missing.push_back(language);
  if (missing.empty()) return;
  if (!on_path("fasttext"))
    throw Error("fasttext is missing: install Debian's fasttext (third_party/install-debian-packages.sh does)");
  const std::size_t parallel = std::max(1u, std::thread::hardware_concurrency());
  struct Job {
    std::string language, prefix, log_path;
    pid_t pid = -1;
  };
  std::vector<Job> running;
  auto wait_one = [&] {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    auto it = std::find_if(running.begin(), running.end(), [&](const Job& j) { return j.pid == pid; });
    if (it == running.end()) return;
    Job job = *it;
    running.erase(it);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      throw Error(fmt::format("fasttext failed for '{}'; its output is in {}", job.language, job.log_path));
    fs::remove(job.prefix + ".bin");  // the model with subword buckets: large, and not needed
    fs::rename(job.prefix + ".vec", vectors_path(cache, job.language));
    log << fmt::format("  vectors {}: {}\n", job.language, vectors_path(cache, job.language));
  };
  const auto start = std::chrono::steady_clock::now();
  for (const auto& language : missing) {
    while (running.size() >= parallel) wait_one();
    Job job{language, crosslingual_dir(cache) + "/.fasttext." + language,
            crosslingual_dir(cache) + "/fasttext." + language + ".log"};
    const std::vector<std::string> args{"fasttext", "skipgram", "-input", corpus_path(cache, language), "-output",
                                        job.prefix, "-dim", std::to_string(kDim), "-epoch", std::to_string(kEpochs),
                                        "-minCount", std::to_string(kMinCount), "-bucket", std::to_string(kBuckets),
                                        "-thread", "1", "-seed", std::to_string(kSeed), "-verbose", "1"};
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, job.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int rc = posix_spawnp(&job.pid, "fasttext", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw Error(fmt::format("cannot start fasttext: {}", std::strerror(rc)));
    log << fmt::format("  vectors {}: fasttext skipgram, {} dimensions, {} epochs, 1 thread (a few minutes)...\n",
                       language, kDim, kEpochs);
    running.push_back(job);
  }
  while (!running.empty()) wait_one();
  log << fmt::format("  vectors: {:.0f} s\n",
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

/// Value of a dictd base64 number (alphabet A-Z a-z 0-9 + /, big-endian).
std::uint64_t dictd_number(const std::string& text, const std::string& file, std::int64_t line) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::uint64_t value = 0;
  for (char c : text) {
    const auto digit = alphabet.find(c);
    if (digit == std::string::npos) throw Error(fmt::format("{}:{}: '{}' is not a dictd number", file, line, text));
    if (value > (std::numeric_limits<std::uint64_t>::max() >> 6))
      throw Error(fmt::format("{}:{}: dictd number '{}' is too large", file, line, text));
    value = value * 64 + digit;
  }
  return value;
}


/// `text` as a single lower-case word, or "" when it is several words,
/// punctuation, or not lower-case.
std::string single_word(std::string text) {
  const auto begin = text.find_first_not_of(" \t");
  const auto end = text.find_last_not_of(" \t.");
  if (begin == std::string::npos || end == std::string::npos || end < begin) return "";
  text = text.substr(begin, end - begin + 1);
  const auto tokens = tokenize(text);
  return tokens.size() == 1 && tokens[0] == text ? tokens[0] : "";
}

/// Deterministic Fisher-Yates (std::shuffle's algorithm differs between
/// standard libraries; the split must not).
template <class T>
void fixed_shuffle(std::vector<T>& items, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  for (std::size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[engine() % i]);
}

std::size_t distinct_sources(const WordPairs& pairs) {
  std::set<std::string> sources;
  for (const auto& pair : pairs) sources.insert(pair.first);
  return sources.size();
}

}  // namespace

const std::vector<std::int64_t>& crosslingual_dictionary_recipes() {
  static const std::vector<std::int64_t> recipes{2, 3};
  return recipes;
}

const std::vector<std::string>& crosslingual_languages() {
  static const std::vector<std::string> languages{"en", "es", "fr"};
  return languages;
}

const std::vector<std::string>& crosslingual_pairs() {
  static const std::vector<std::string> pairs{"en-es", "es-en", "en-fr", "fr-en"};
  return pairs;
}

namespace {
const bool crosslingual_recipe_registered = register_data_recipe(
    {"crosslingual", "word vectors trained on Debian's corpora, dictionaries and Bible verses; about 12 minutes",
     build_crosslingual});
}  // namespace

std::string crosslingual_dir(const std::string& cache) { return derived_dir(cache) + "/crosslingual-v2"; }

std::string crosslingual_verses_path(const std::string& cache, const std::string& language) {
  return crosslingual_dir(cache) + "/verses." + language + ".txt";
}

std::vector<std::string> crosslingual_bible_languages() {
  std::vector<std::string> out;
  for (const auto& [language, parts] : corpus_recipe())
    for (const auto& part : parts)
      if (std::string(part.format) == "osis") out.push_back(language);
  return out;
}

std::vector<std::int64_t> fixed_permutation(std::int64_t n, std::uint64_t seed) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  fixed_shuffle(order, seed);
  return order;
}

WordPairs read_freedict(const std::string& index_path, const std::string& dict_path, bool reverse) {
  const std::string dict = gunzip_file(dict_path);
  std::ifstream index(index_path);
  if (!index) throw Error(fmt::format("{}: cannot read", index_path));
  WordPairs pairs;
  std::string line;
  std::int64_t line_number = 0;
  while (std::getline(index, line)) {
    ++line_number;
    const auto tab1 = line.find('\t'), tab2 = line.find('\t', tab1 + 1);
    if (tab1 == std::string::npos || tab2 == std::string::npos)
      throw Error(fmt::format("{}:{}: expected 'headword<TAB>offset<TAB>length'", index_path, line_number));
    const std::string headword = line.substr(0, tab1);
    if (headword.rfind("00database", 0) == 0 || headword.rfind("00-database", 0) == 0) continue;
    const auto offset = dictd_number(line.substr(tab1 + 1, tab2 - tab1 - 1), index_path, line_number);
    const auto length = dictd_number(line.substr(tab2 + 1), index_path, line_number);
    // Compared without adding: an offset near 2^64 once wrapped the sum
    // around and passed (found by fuzz_freedict).
    if (offset > dict.size() || length > dict.size() - offset)
      throw Error(fmt::format("{}:{}: entry '{}' points past the end of {}", index_path, line_number, headword,
                              dict_path));
    const std::string source = single_word(headword);
    if (source.empty()) continue;
    // The entry: "headword /pronunciation/", then translations, one sense a
    // line ("1. calmarse, sosegarse"), alternatives separated by , or ;.
    std::istringstream entry(dict.substr(offset, length));
    std::string sense;
    std::getline(entry, sense);
    while (std::getline(entry, sense)) {
      std::size_t start = 0;
      while (start < sense.size() && (std::isdigit(static_cast<unsigned char>(sense[start])) || sense[start] == '.' ||
                                      sense[start] == ' '))
        ++start;
      std::string candidate;
      std::istringstream alternatives(sense.substr(start));
      while (std::getline(alternatives, candidate, ',')) {
        std::istringstream parts(candidate);
        std::string part;
        while (std::getline(parts, part, ';')) {
          const std::string target = single_word(part);
          if (target.empty()) continue;
          if (reverse) pairs.emplace_back(target, source);
          else pairs.emplace_back(source, target);
        }
      }
    }
  }
  return pairs;
}

DictionarySplit split_dictionary(const WordPairs& pairs, const WordVectors& source, const WordVectors& target,
                                 std::int64_t train_pairs, std::int64_t test_words, std::uint64_t seed) {
  // Translations of each source word present in both vocabularies, by rank.
  std::map<std::int64_t, std::set<std::string>> by_rank;
  for (const auto& [s, t] : pairs) {
    const auto rank = source.find(s);
    if (rank >= 0 && target.find(t) >= 0) by_rank[rank].insert(t);
  }
  std::vector<std::int64_t> ranks;
  for (const auto& [rank, _] : by_rank) ranks.push_back(rank);
  std::vector<std::int64_t> shuffled = ranks;
  fixed_shuffle(shuffled, seed);
  const std::int64_t n_test = std::min<std::int64_t>(test_words, static_cast<std::int64_t>(shuffled.size()) / 2);
  std::set<std::int64_t> test_ranks(shuffled.begin(), shuffled.begin() + n_test);
  DictionarySplit split;
  for (const auto rank : ranks) {  // frequency order
    const bool test = test_ranks.count(rank) > 0;
    if (!test && static_cast<std::int64_t>(split.train.size()) >= train_pairs) continue;
    for (const auto& t : by_rank[rank]) {
      if (test) split.test.emplace_back(source.words[rank], t);
      else if (static_cast<std::int64_t>(split.train.size()) < train_pairs) split.train.emplace_back(source.words[rank], t);
    }
  }
  return split;
}

void build_crosslingual(const std::string& cache, std::ostream& log) {
  for (const auto* source : sources_for("crosslingual")) fetch_source(cache, *source, log);
  for (const auto* source : sources_for("bilingual_dictionary")) fetch_source(cache, *source, log);
  fs::create_directories(crosslingual_dir(cache));
  for (const auto& language : crosslingual_languages()) build_corpus(cache, language, log);
  for (const auto& language : crosslingual_bible_languages()) build_verses(cache, language, log);
  train_vectors(cache, log);

  std::map<std::string, WordVectors> vectors;
  auto vectors_of = [&](const std::string& language) -> const WordVectors& {
    auto it = vectors.find(language);
    if (it == vectors.end()) it = vectors.emplace(language, read_vec(vectors_path(cache, language))).first;
    return it->second;
  };
  for (const std::int64_t recipe : crosslingual_dictionary_recipes())
    for (const auto& pair : crosslingual_pairs()) {
      if (fs::exists(dictionary_path(cache, pair, "test", recipe))) continue;
      const std::string from = pair.substr(0, 2), to = pair.substr(3);
      WordPairs all;
      for (const auto& [name, reversed] : dictionary_recipe().at(pair)) {
        const std::string stem =
            std::string("freedict-") + data_source(name).package.substr(std::string("dict-freedict-").size());
        auto pairs = read_freedict(cached_source_file(cache, name, stem + ".index"),
                                   cached_source_file(cache, name, stem + ".dict.dz"), reversed);
        all.insert(all.end(), pairs.begin(), pairs.end());
      }
      const std::size_t freedict_pairs = all.size();
      if (recipe >= 3 && apertium_recipe().count(pair))
        for (const auto& [direction, reversed] : apertium_recipe().at(pair)) {
          // Each direction translates its own source language's vocabulary.
          const auto pairs = apertium_pairs(cache, direction, vectors_of(reversed ? to : from).words, reversed);
          all.insert(all.end(), pairs.begin(), pairs.end());
        }
      const auto split = split_dictionary(all, vectors_of(from), vectors_of(to), kTrainPairs, kTestWords, kSplitSeed);
      write_muse_dictionary(dictionary_path(cache, pair, "train", recipe), split.train);
      write_muse_dictionary(dictionary_path(cache, pair, "test", recipe), split.test);
      log << fmt::format("  dictionary {} (recipe {}): {} FreeDict + {} Apertium pairs, {} train pairs, {} test "
                         "pairs ({} test words)\n",
                         pair, recipe, freedict_pairs, all.size() - freedict_pairs, split.train.size(),
                         split.test.size(), distinct_sources(split.test));
    }

  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(crosslingual_dir(cache))) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name[0] != '.' && name != "MANIFEST" && name.find(".log") == std::string::npos)
      names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  std::string manifest = "# sha256 of the cross-lingual benchmark built by `graft data fetch crosslingual`\n";
  for (const auto& name : names) manifest += sha256_of_file(crosslingual_dir(cache) + "/" + name) + "  " + name + "\n";
  write_file_atomically(crosslingual_dir(cache) + "/MANIFEST", manifest);
  log << fmt::format("crosslingual: ready in {} (sha256 sums in MANIFEST)\n", crosslingual_dir(cache));
}

std::string check_vec_file(const std::string& path, std::int64_t max_words) {
  const double base = peak_memory_mib();
  const auto start = std::chrono::steady_clock::now();
  const auto vectors = read_vec(path, max_words);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return fmt::format("graft read_vec: {} x {} in {:.2f} s, peak memory +{:.0f} MiB (the matrix: {:.0f} MiB)",
                     vectors.size(), vectors.dim(), seconds, peak_memory_mib() - base,
                     static_cast<double>(vectors.size() * vectors.dim() * 4) / 1048576.0);
}

// ---- data sets -------------------------------------------------------------

void WordVectorsOptions::declare(OptionSet<WordVectorsOptions>& o) {
  o.add("language", &WordVectorsOptions::language, "a language of the package benchmark: en, es, fr");
  o.add("path", &WordVectorsOptions::path, "or a .vec file of your own (fastText text format)")
      .path(PathKind::file);
  o.add("max_words", &WordVectorsOptions::max_words, "keep the first (most frequent) N words, as MUSE does").min(1);
}

WordVectorsData::WordVectorsData(Options options, const DataContext& ctx) {
  std::string path = options.path;
  if (path.empty()) {
    const auto& languages = crosslingual_languages();
    if (std::find(languages.begin(), languages.end(), options.language) == languages.end())
      throw Error(fmt::format("data.{}: word_vectors needs `language:` ({}) or `path:` to a .vec file; got '{}'",
                              ctx.domain, fmt::join(languages, ", "), options.language));
    path = vectors_path(ctx.cache_dir, options.language);
    if (!fs::exists(path))
      throw DataMissing(fmt::format("{}: word vectors for '{}' are not built yet. Build the benchmark first: "
                                    "graft data fetch crosslingual  (about 12 minutes)",
                                    path, options.language));
  }
  WordVectors vectors = read_vec(path, options.max_words);
  name = "word_vectors:" + (options.path.empty() ? options.language : path);
  input_shape = {vectors.dim()};
  splits["all"].inputs = vectors.matrix;
  words = std::move(vectors.words);
}

void BilingualDictionaryOptions::declare(OptionSet<BilingualDictionaryOptions>& o) {
  o.add("pair", &BilingualDictionaryOptions::pair, "a pair of the package benchmark: en-es, es-en, en-fr, fr-en");
  // Always saved: a run made before recipe 3 has no `recipe:` and used
  // recipe 2, so it must not pass for a recipe-3 run.
  o.add("recipe", &BilingualDictionaryOptions::recipe,
        "the benchmark's dictionary recipe: 3 (FreeDict and Apertium, en-es and es-en) or 2 (FreeDict alone, the "
        "tables made before recipe 3)")
      .min(2)
      .max(3);
  o.add("train", &BilingualDictionaryOptions::train, "or a MUSE-format training dictionary of your own")
      .path(PathKind::file);
  o.add("test", &BilingualDictionaryOptions::test, "and a MUSE-format test dictionary").path(PathKind::file);
}

BilingualDictionaryData::BilingualDictionaryData(Options options, const DataContext& ctx) {
  std::string train = options.train, test = options.test;
  if (options.pair.empty() == test.empty())
    throw Error(fmt::format("data.{}: bilingual_dictionary needs either `pair:` ({}) or `test:` (and `train:`) "
                            "paths, not both",
                            ctx.domain, fmt::join(crosslingual_pairs(), ", ")));
  if (!options.pair.empty()) {
    const auto& pairs = crosslingual_pairs();
    if (std::find(pairs.begin(), pairs.end(), options.pair) == pairs.end())
      throw Error(fmt::format("data.{}: unknown pair '{}'; {}", ctx.domain, options.pair,
                              choices_hint(options.pair, pairs)));
    train = dictionary_path(ctx.cache_dir, options.pair, "train", options.recipe);
    test = dictionary_path(ctx.cache_dir, options.pair, "test", options.recipe);
    if (!fs::exists(test))
      throw DataMissing(fmt::format("{}: dictionary {} is not built yet. Build the benchmark first: graft data "
                                    "fetch crosslingual",
                                    test, options.pair));
  }
  name = "bilingual_dictionary:" +
         (options.pair.empty() ? test : fmt::format("{} (recipe {})", options.pair, options.recipe));
  if (!train.empty()) word_pairs["train"] = read_muse_dictionary(train);
  word_pairs["test"] = read_muse_dictionary(test);
}

GRAFT_REGISTER_DATASET(WordVectorsData, "word_vectors",
                       "word vectors of one language, [N, D]: the package benchmark (language: en/es/fr; fastText "
                       "300 d on Debian corpora) or any .vec file (path:)");
GRAFT_REGISTER_DATASET(BilingualDictionaryData, "bilingual_dictionary",
                       "MUSE-format train/test word pairs: the package benchmark (pair: en-es; recipe 3: FreeDict "
                       "and Apertium) or your own files (train:, test:)");

}  // namespace graft
