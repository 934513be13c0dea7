#pragma once
// Word pairs from an Apertium language pair (Debian `apertium-eng-spa`), the
// second half of the cross-lingual benchmark's dictionaries since recipe 3
// (datasets/crosslingual.h). Every word of a vocabulary goes through the
// pair's three finite-state transducers, each run once over the whole list
// by lt-proc (Debian `lttoolbox`):
//
//   analysis    "houses"            -> house<n><pl>, house<vblex><pri><p3><sg>
//   bilingual   house<n><pl>        -> casa<n><f><pl>, cámara<n><f><pl>
//   generation  casa<n><f><pl>      -> "casas"
//
// so inflected forms translate to inflected forms, as in MUSE's
// dictionaries. Only content words are kept (nouns, verbs, adjectives,
// adverbs: the readings whose first tag is n, vblex, adj or adv); closed-class
// words (articles, pronouns, prepositions) have many context-dependent
// translations and few neighbours a linear map could find.
//
// The bilingual dictionary alone does not always give the generator what it
// needs: Apertium's transfer rules add or drop gender and number from the
// sentence, which a single word does not have. A noun or adjective the
// generator rejects (it prints '#lemma') is offered again: an adjective
// completed to its citation form (<m> and <sg> where gender and number are
// missing: English -> Spanish), then without gender (Spanish noun ->
// English: perro<n><m><sg> -> dog<n><m><sg> -> dog<n><sg>), then an
// adjective without gender and number. Verb forms that need a person the
// source form lacks (English past -> Spanish preterite) stay rejected and
// give no pair. Torch-free.

#include <string>
#include <utility>
#include <vector>

namespace graft {

/// The three transducers of one direction of a pair, e.g. for English ->
/// Spanish: eng-spa.automorf.bin (English analyser), eng-spa.autobil.bin,
/// eng-spa.autogen.bin (Spanish generator).
struct ApertiumDirection {
  std::string analyser, bilingual, generator;
};

/// One lexical unit of lt-proc's stream format, "^surface/reading/reading$".
struct LtUnit {
  std::string surface;
  std::vector<std::string> readings;  ///< "lemma<tag><tag>"; "*surface" when unknown
};

/// The units of one line of lt-proc output ("^a/b$ ^c/d$"); text outside
/// units (blanks) is skipped. Throws naming `what` and the line on an
/// unterminated unit.
std::vector<LtUnit> parse_lt_line(const std::string& line, const std::string& what, std::size_t line_number);

/// True for a reading of a content word: lemma (one word, no '#' or '+')
/// followed by <n>, <vblex>, <adj> or <adv>.
bool is_content_reading(const std::string& reading);

/// The readings to offer the generator for one bilingual translation, in
/// order: as it is; for an adjective, completed to its citation form; for a
/// noun or adjective, without gender; for an adjective, without gender and
/// number (see the header). No duplicates.
std::vector<std::string> generation_candidates(const std::string& reading);

/// The word a generator printed for one unit, or "" when it failed ('#',
/// '@' or '*' marks) or printed something other than one lower-case word.
std::string generated_word(const std::string& output);

/// (word, translation) pairs of `words` through one direction of a pair, in
/// the order of `words`, each pair once. lt-proc's files are written under
/// `work_dir` (which must exist). Throws naming the stage and what to install
/// when lt-proc is missing or fails.
std::vector<std::pair<std::string, std::string>> apertium_translations(const ApertiumDirection& direction,
                                                                       const std::vector<std::string>& words,
                                                                       const std::string& work_dir);

}  // namespace graft
