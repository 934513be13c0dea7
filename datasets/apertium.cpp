#include "datasets/apertium.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "core/error.h"
#include "core/process.h"

namespace graft {
namespace {

/// The tags of a reading, in order ("casa<n><f><pl>" -> n, f, pl).
std::vector<std::string> tags_of(const std::string& reading) {
  std::vector<std::string> tags;
  for (std::size_t open = reading.find('<'); open != std::string::npos; open = reading.find('<', open + 1)) {
    const std::size_t close = reading.find('>', open);
    if (close == std::string::npos) break;
    tags.push_back(reading.substr(open + 1, close - open - 1));
  }
  return tags;
}

bool has_any(const std::vector<std::string>& tags, std::initializer_list<const char*> wanted) {
  for (const char* w : wanted)
    if (std::find(tags.begin(), tags.end(), w) != tags.end()) return true;
  return false;
}

std::string read_text(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: lt-proc wrote no output to {}", what, path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/// Runs one lt-proc stage over `input_lines` (one a line) and returns its
/// output lines, checked to be as many.
std::vector<std::string> run_stage(const char* mode, const std::string& transducer,
                                   const std::vector<std::string>& input_lines, const std::string& work_dir,
                                   const std::string& stage) {
  const std::string in_path = work_dir + "/" + stage + ".in", out_path = work_dir + "/" + stage + ".out";
  {
    std::ofstream in(in_path, std::ios::binary | std::ios::trunc);
    for (const auto& line : input_lines) in << line << '\n';
    if (!in) throw Error(fmt::format("{}: cannot write", in_path));
  }
  std::vector<std::string> argv{"lt-proc"};
  if (*mode) argv.emplace_back(mode);
  argv.insert(argv.end(), {transducer, in_path, out_path});
  const auto [status, messages] = run_command(argv, ".");
  if (status == 127 || messages.find("lt-proc: not found") != std::string::npos ||
      messages.find("lt-proc: command not found") != std::string::npos)
    throw Error("lt-proc is missing: install Debian's lttoolbox (third_party/install-debian-packages.sh does)");
  if (status != 0)
    throw Error(fmt::format("Apertium {} stage: `lt-proc {} {}` failed (exit {}): {}", stage, mode, transducer, status,
                            messages));
  auto lines = lines_of(read_text(out_path, "Apertium " + stage + " stage"));
  // Blank lines at the end are blanks of the stream, not units.
  while (lines.size() > input_lines.size() && lines.back().empty()) lines.pop_back();
  if (lines.size() != input_lines.size())
    throw Error(fmt::format("Apertium {} stage: lt-proc printed {} lines for {} input lines ({}); is {} an "
                            "lttoolbox transducer (a .bin of an Apertium pair)?",
                            stage, lines.size(), input_lines.size(), out_path, transducer));
  return lines;
}

}  // namespace

std::vector<LtUnit> parse_lt_line(const std::string& line, const std::string& what, std::size_t line_number) {
  std::vector<LtUnit> units;
  std::size_t i = 0;
  while (i < line.size()) {
    if (line[i] == '\\') {
      i += 2;
      continue;
    }
    if (line[i] != '^') {
      ++i;
      continue;
    }
    std::vector<std::string> fields(1);
    bool closed = false;
    for (++i; i < line.size(); ++i) {
      const char c = line[i];
      if (c == '\\' && i + 1 < line.size()) {
        fields.back() += line[++i];
      } else if (c == '/') {
        fields.emplace_back();
      } else if (c == '$') {
        closed = true;
        ++i;
        break;
      } else {
        fields.back() += c;
      }
    }
    if (!closed)
      throw Error(fmt::format("{}: line {}: a lexical unit opened with '^' is not closed with '$': {}", what,
                              line_number, line));
    units.push_back({fields.front(), {fields.begin() + 1, fields.end()}});
  }
  return units;
}

bool is_content_reading(const std::string& reading) {
  const std::size_t open = reading.find('<');
  if (open == 0 || open == std::string::npos) return false;
  const std::string lemma = reading.substr(0, open);
  if (lemma.find_first_of(" #+*@_") != std::string::npos) return false;  // multiwords, joins, unknowns
  const auto tags = tags_of(reading);
  return !tags.empty() && (tags[0] == "n" || tags[0] == "vblex" || tags[0] == "adj" || tags[0] == "adv");
}

std::vector<std::string> generation_candidates(const std::string& reading) {
  std::vector<std::string> candidates{reading};
  auto add = [&](const std::string& c) {
    if (std::find(candidates.begin(), candidates.end(), c) == candidates.end()) candidates.push_back(c);
  };
  const auto tags = tags_of(reading);
  if (tags.empty() || (tags[0] != "n" && tags[0] != "adj")) return candidates;
  const std::string lemma = reading.substr(0, reading.find('<'));
  auto without = [&](std::initializer_list<const char*> dropped) {
    std::string out = lemma;
    for (const auto& tag : tags)
      if (std::none_of(dropped.begin(), dropped.end(), [&](const char* d) { return tag == d; })) out += "<" + tag + ">";
    return out;
  };
  if (tags[0] == "adj") {  // Spanish adjectives: the citation form's gender and number
    std::string completed = reading;
    if (!has_any(tags, {"m", "f", "mf", "nt"})) completed += "<m>";
    if (!has_any(tags, {"sg", "pl", "sp"})) completed += "<sg>";
    add(completed);
  }
  add(without({"m", "f", "mf", "nt"}));  // English nouns and adjectives have no gender
  if (tags[0] == "adj") add(without({"m", "f", "mf", "nt", "sg", "pl", "sp"}));  // nor number, for adjectives
  return candidates;
}

std::string generated_word(const std::string& output) {
  const auto begin = output.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  const auto end = output.find_last_not_of(" \t\r");
  const std::string word = output.substr(begin, end - begin + 1);
  if (word.find_first_of("#@*/<>^$+~_ \t") != std::string::npos) return "";
  if (std::any_of(word.begin(), word.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) return "";
  return word;
}

std::vector<std::pair<std::string, std::string>> apertium_translations(const ApertiumDirection& direction,
                                                                       const std::vector<std::string>& words,
                                                                       const std::string& work_dir) {
  // Analysis: one word a line in, one unit a line out. Characters of the
  // stream format (fastText's "</s>", say) would open superblanks and tags
  // that swallow the lines after them; such a word is no content word, so its
  // line is left blank.
  std::vector<std::string> lines = words;
  for (auto& line : lines)
    if (line.find_first_of("^$/\\<>[]{}@*#+") != std::string::npos) line.clear();
  const auto analysed = run_stage("", direction.analyser, lines, work_dir, "analysis");
  std::vector<std::vector<std::string>> readings_of(words.size());
  std::set<std::string> readings;
  std::size_t known = 0;
  for (std::size_t w = 0; w < words.size(); ++w) {
    const auto units = parse_lt_line(analysed[w], direction.analyser, w + 1);
    // A word lt-proc splits into several units (a hyphen, an apostrophe) has
    // no reading of its own.
    if (units.size() != 1 || units[0].surface != words[w]) continue;
    if (!units[0].readings.empty() && units[0].readings[0].rfind('*', 0) != 0) ++known;
    for (const auto& r : units[0].readings)
      if (is_content_reading(r)) {
        readings_of[w].push_back(r);
        readings.insert(r);
      }
  }
  // lt-proc reads any file as a transducer, an empty one if it is not: all
  // words unknown, no pairs, no error. Say so instead.
  if (!words.empty() && known == 0)
    throw Error(fmt::format("Apertium analysis stage: none of {} words is known to {}; is it the analyser "
                            "(.automorf.bin) of the source language of an Apertium pair?",
                            words.size(), direction.analyser));

  // Bilingual lookup of each distinct reading.
  const std::vector<std::string> reading_list(readings.begin(), readings.end());
  std::vector<std::string> units_in;
  for (const auto& r : reading_list) units_in.push_back("^" + r + "$");
  const auto translated = run_stage("-b", direction.bilingual, units_in, work_dir, "bilingual");
  std::map<std::string, std::vector<std::string>> translations_of;
  std::set<std::string> candidates;
  for (std::size_t i = 0; i < reading_list.size(); ++i) {
    const auto units = parse_lt_line(translated[i], direction.bilingual, i + 1);
    if (units.size() != 1) continue;
    for (const auto& t : units[0].readings) {
      if (t.empty() || t[0] == '@') continue;  // not in the bilingual dictionary
      translations_of[reading_list[i]].push_back(t);
      for (const auto& c : generation_candidates(t)) candidates.insert(c);
    }
  }

  if (!reading_list.empty() && translations_of.empty())
    throw Error(fmt::format("Apertium bilingual stage: none of {} readings has a translation in {}; is it the "
                            "bilingual dictionary (.autobil.bin) of the same direction as the analyser?",
                            reading_list.size(), direction.bilingual));

  // Generation of each candidate reading.
  const std::vector<std::string> candidate_list(candidates.begin(), candidates.end());
  units_in.clear();
  for (const auto& c : candidate_list) units_in.push_back("^" + c + "$");
  const auto generated = run_stage("-g", direction.generator, units_in, work_dir, "generation");
  std::map<std::string, std::string> word_of;
  std::size_t inflected = 0;
  for (std::size_t i = 0; i < candidate_list.size(); ++i)
    inflected += !(word_of[candidate_list[i]] = generated_word(generated[i])).empty();
  if (!candidate_list.empty() && inflected == 0)
    throw Error(fmt::format("Apertium generation stage: {} generated none of {} translations; is it the generator "
                            "(.autogen.bin) of the target language of the same direction?",
                            direction.generator, candidate_list.size()));

  std::vector<std::pair<std::string, std::string>> pairs;
  std::set<std::pair<std::string, std::string>> seen;
  for (std::size_t w = 0; w < words.size(); ++w)
    for (const auto& r : readings_of[w]) {
      const auto it = translations_of.find(r);
      if (it == translations_of.end()) continue;
      for (const auto& t : it->second)
        for (const auto& c : generation_candidates(t)) {
          const std::string& target = word_of[c];
          if (target.empty()) continue;
          if (seen.insert({words[w], target}).second) pairs.emplace_back(words[w], target);
          break;  // the first candidate the generator accepts
        }
    }
  return pairs;
}

}  // namespace graft
