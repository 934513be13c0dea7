#include "datasets/text_corpus.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <unordered_set>

namespace graft {
namespace {

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// Decodes one code point at `i` and advances; invalid bytes decode as
/// U+FFFD one byte at a time, so broken files cannot stall the reader.
std::uint32_t next_code_point(const std::string& s, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  int length = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (length == 0 || i + length > s.size()) {
    ++i;
    return 0xFFFD;
  }
  std::uint32_t cp = length == 1 ? c : c & (0x7F >> length);
  for (int k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  i += length;
  return cp;
}

bool is_word_char(std::uint32_t cp) {
  if (cp < 0x80) return std::isalnum(static_cast<int>(cp)) != 0;
  if (cp >= 0xC0 && cp <= 0x24F) return cp != 0xD7 && cp != 0xF7;  // Latin-1 letters, Latin Extended-A/B
  return (cp >= 0x370 && cp <= 0x3FF && cp != 0x37E && cp != 0x387) || (cp >= 0x400 && cp <= 0x52F);  // Greek, Cyrillic
}

std::uint32_t to_lower(std::uint32_t cp) {
  if (cp < 0x80) return static_cast<std::uint32_t>(std::tolower(static_cast<int>(cp)));
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 0x20;
  if (cp >= 0x100 && cp <= 0x17F && cp != 0x130 && cp != 0x131 && cp != 0x138 && cp != 0x149 && cp != 0x17F) {
    // Latin Extended-A pairs upper/lower case as even/odd, except the block
    // 0x139-0x148 and 0x179-0x17E, which start on an odd code point.
    const bool odd_start = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
    const bool upper = odd_start ? (cp % 2 == 1) : (cp % 2 == 0);
    return upper ? cp + 1 : cp;
  }
  if (cp >= 0x391 && cp <= 0x3A9) return cp + 0x20;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
  return cp;
}

bool starts_with_at(const std::string& s, std::size_t pos, const std::string& prefix) {
  return s.compare(pos, prefix.size(), prefix) == 0;
}

/// Calls `f` on each line of `text` (without its newline; a last line without one counts).
template <class F>
void for_each_line(const std::string& text, F&& f) {
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (!f(text.substr(start, end - start))) return;
    start = end + 1;
  }
}

std::string lower_ascii(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

/// Name of the tag starting at `lt` ('<'), lower-case, without '/'.
std::string tag_name(const std::string& html, std::size_t lt) {
  std::size_t i = lt + 1;
  if (i < html.size() && html[i] == '/') ++i;
  std::size_t j = i;
  while (j < html.size() && (std::isalnum(static_cast<unsigned char>(html[j])) || html[j] == ':')) ++j;
  return lower_ascii(html.substr(i, j - i));
}

/// Position just past the element whose opening tag ends at `open_end`:
/// counts nested elements of the same name.
std::size_t element_end(const std::string& html, std::size_t open_end, const std::string& name) {
  int depth = 1;
  std::size_t i = open_end;
  while (depth > 0) {
    const std::size_t lt = html.find('<', i);
    if (lt == std::string::npos) return html.size();
    const std::size_t gt = html.find('>', lt);
    if (gt == std::string::npos) return html.size();
    const bool closing = lt + 1 < html.size() && html[lt + 1] == '/';
    if (tag_name(html, lt) == name) {
      if (closing) --depth;
      else if (html[gt - 1] != '/') ++depth;
    }
    i = gt + 1;
  }
  return i;
}

const std::unordered_set<std::string>& block_tags() {
  static const std::unordered_set<std::string> tags{"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5",
                                                    "h6", "pre", "table", "title", "dt", "dd", "td", "th", "ul",
                                                    "ol", "dl", "blockquote", "section", "caption", "hr"};
  return tags;
}

}  // namespace

std::string decode_entities(const std::string& text) {
  static const std::map<std::string, std::uint32_t> named{
      {"amp", '&'},      {"lt", '<'},       {"gt", '>'},       {"quot", '"'},     {"apos", '\''},
      {"nbsp", ' '},     {"aacute", 0xE1},  {"eacute", 0xE9},  {"iacute", 0xED},  {"oacute", 0xF3},
      {"uacute", 0xFA},  {"ntilde", 0xF1},  {"uuml", 0xFC},    {"Aacute", 0xC1},  {"Eacute", 0xC9},
      {"Iacute", 0xCD},  {"Oacute", 0xD3},  {"Uacute", 0xDA},  {"Ntilde", 0xD1},  {"agrave", 0xE0},
      {"egrave", 0xE8},  {"ugrave", 0xF9},  {"acirc", 0xE2},   {"ecirc", 0xEA},   {"icirc", 0xEE},
      {"ocirc", 0xF4},   {"ucirc", 0xFB},   {"ccedil", 0xE7},  {"euml", 0xEB},    {"iuml", 0xEF},
      {"auml", 0xE4},    {"ouml", 0xF6},    {"szlig", 0xDF},   {"Auml", 0xC4},    {"Ouml", 0xD6},
      {"Uuml", 0xDC},    {"iexcl", 0xA1},   {"iquest", 0xBF},  {"laquo", 0xAB},   {"raquo", 0xBB},
      {"ndash", 0x2013}, {"mdash", 0x2014}, {"hellip", 0x2026}, {"rsquo", 0x2019}, {"lsquo", 0x2018},
      {"ldquo", 0x201C}, {"rdquo", 0x201D}, {"copy", 0xA9},    {"reg", 0xAE},     {"trade", 0x2122}};
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    const std::size_t semi = text.find(';', i);
    if (semi == std::string::npos || semi - i > 10) {
      out += '&';
      continue;
    }
    const std::string ref = text.substr(i + 1, semi - i - 1);
    std::uint32_t cp = 0;
    bool ok = false;
    if (!ref.empty() && ref[0] == '#') {
      try {
        cp = (ref.size() > 1 && (ref[1] == 'x' || ref[1] == 'X')) ? std::stoul(ref.substr(2), nullptr, 16)
                                                                   : std::stoul(ref.substr(1));
        ok = cp > 0 && cp < 0x110000;
      } catch (const std::exception&) {
        ok = false;
      }
    } else if (auto it = named.find(ref); it != named.end()) {
      cp = it->second;
      ok = true;
    }
    if (!ok) {
      out += '&';
      continue;
    }
    append_utf8(out, cp);
    i = semi;
  }
  return out;
}

std::string html_to_text(const std::string& html, const std::string& only_div_id) {
  std::size_t begin = 0, end = html.size();
  if (!only_div_id.empty()) {
    const std::size_t id = html.find("id=\"" + only_div_id + "\"");
    if (id != std::string::npos) {
      const std::size_t lt = html.rfind('<', id);
      const std::size_t gt = html.find('>', id);
      if (lt != std::string::npos && gt != std::string::npos) {
        begin = gt + 1;
        end = element_end(html, gt + 1, tag_name(html, lt));
      }
    }
  }
  std::string out;
  std::size_t i = begin;
  while (i < end) {
    if (html[i] != '<') {
      out += html[i++];
      continue;
    }
    if (starts_with_at(html, i, "<!--")) {
      const std::size_t close = html.find("-->", i);
      i = close == std::string::npos ? end : close + 3;
      continue;
    }
    const std::size_t gt = html.find('>', i);
    if (gt == std::string::npos) break;
    const std::string name = tag_name(html, i);
    const bool closing = html[i + 1] == '/';
    const std::string tag = html.substr(i, gt - i);
    const bool navigation = name == "div" && (tag.find("navheader") != std::string::npos ||
                                              tag.find("navfooter") != std::string::npos);
    if (!closing && (name == "script" || name == "style" || name == "head" || navigation)) {
      i = html[gt - 1] == '/' ? gt + 1 : element_end(html, gt + 1, name);
      out += '\n';
      continue;
    }
    out += block_tags().count(name) ? '\n' : ' ';
    i = gt + 1;
  }
  return decode_entities(out);
}

std::string osis_to_text(const std::string& imp) {
  std::string out;
  for (const auto& [key, verse] : osis_verses(imp)) out += verse + '\n';
  return out;
}

std::vector<std::pair<std::string, std::string>> osis_verses(const std::string& imp) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string key;
  std::size_t line_start = 0;
  while (line_start < imp.size()) {
    std::size_t line_end = imp.find('\n', line_start);
    if (line_end == std::string::npos) line_end = imp.size();
    const std::string line = imp.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    if (line.rfind("$$$", 0) == 0) {  // "$$$Genesis 1:1": the key of the next verse
      key = line.substr(3);
      while (!key.empty() && (key.back() == '\r' || key.back() == ' ')) key.pop_back();
      continue;
    }
    std::string verse;
    std::size_t i = 0;
    while (i < line.size()) {
      if (line[i] != '<') {
        verse += line[i++];
        continue;
      }
      const std::size_t gt = line.find('>', i);
      if (gt == std::string::npos) break;
      const std::string name = tag_name(line, i);
      const bool closing = line[i + 1] == '/';
      // Footnotes and cross-references are commentary, not the translation.
      if (!closing && (name == "note" || name == "rdg") && line[gt - 1] != '/') {
        i = element_end(line, gt + 1, name);
      } else {
        i = gt + 1;
      }
      verse += ' ';
    }
    verse = decode_entities(verse);
    if (verse.find_first_not_of(" \t\r") != std::string::npos) out.emplace_back(key, verse);
  }
  return out;
}

std::string fortunes_to_text(const std::string& fortunes) {
  std::string out;
  for_each_line(fortunes, [&](const std::string& line) {
    if (line != "%") out += line + '\n';
    return true;
  });
  return out;
}

namespace {

/// A roff text line with its escapes resolved (groff(7), "Escape sequences").
std::string roff_line_text(const std::string& line) {
  std::string out;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] != '\\' || i + 1 >= line.size()) {
      out += line[i];
      continue;
    }
    const char c = line[++i];
    // Skips an argument: (xx, [name], or one character.
    auto skip_argument = [&] {
      if (i + 1 >= line.size()) return;
      if (line[i + 1] == '(') {
        i = std::min(line.size() - 1, i + 3);
      } else if (line[i + 1] == '[') {
        const auto close = line.find(']', i + 2);
        i = close == std::string::npos ? line.size() - 1 : close;
      } else {
        ++i;
      }
    };
    switch (c) {
      case 'f':  // font: \fB \f(CW \f[I]
      case '*':  // string: \*(lq
      case 'n':  // register
        skip_argument();
        break;
      case 's':  // size: \s-1 \s+2 \s0
        while (i + 1 < line.size() && (line[i + 1] == '-' || line[i + 1] == '+' || std::isdigit(static_cast<unsigned char>(line[i + 1])))) ++i;
        break;
      case '(':  // special character \(em, \(aq: a separator is safe for tokens
        i = std::min(line.size() - 1, i + 2);
        out += ' ';
        break;
      case '[': {  // \[u00E9], \[em]
        const auto close = line.find(']', i + 1);
        i = close == std::string::npos ? line.size() - 1 : close;
        out += ' ';
        break;
      }
      case '-': out += '-'; break;
      case 'e': out += '\\'; break;
      case ' ': case '~': case '0': out += ' '; break;
      case '"': return out;  // comment to the end of the line
      default: break;        // \& \c \| \^ and other zero-width escapes
    }
  }
  return out;
}

}  // namespace

std::string man_to_text(const std::string& roff) {
  // Macros whose arguments are running text (man(7)); every other request
  // (.TH, .PP, .TP, .IP, .RS, .nf, .de, ...) carries layout only.
  static const std::unordered_set<std::string> text_macros{"SH", "SS", "B", "I", "BR", "RB", "IR", "RI",
                                                           "BI", "IB", "SM", "SB", "UR", "MT"};
  static const std::unordered_set<std::string> translation_credits{"TRADUCCI\u00d3N", "TRADUCTION", "TRANSLATION"};
  std::string out;
  for_each_line(roff, [&](std::string line) {
    if (!line.empty() && (line[0] == '.' || line[0] == '\'')) {
      std::size_t name_start = 1;
      while (name_start < line.size() && (line[name_start] == ' ' || line[name_start] == '\t')) ++name_start;
      std::size_t name_end = name_start;
      while (name_end < line.size() && line[name_end] != ' ' && line[name_end] != '\t') ++name_end;
      const std::string macro = line.substr(name_start, name_end - name_start);
      if (!text_macros.count(macro)) return true;
      line = name_end < line.size() ? line.substr(name_end + 1) : "";
      line.erase(std::remove(line.begin(), line.end(), '"'), line.end());
      // Translated pages end with the translators' credits: not the page's text.
      if (macro == "SH" && translation_credits.count(line)) return false;
    }
    const std::string text = roff_line_text(line);
    if (text.find_first_not_of(" \t\r") != std::string::npos) out += text + '\n';
    return true;
  });
  return out;
}

std::vector<std::string> tokenize(const std::string& line) {
  std::vector<std::string> tokens;
  std::string current;
  std::size_t i = 0;
  while (i < line.size()) {
    const std::uint32_t cp = next_code_point(line, i);
    if (is_word_char(cp)) {
      append_utf8(current, to_lower(cp));
    } else if (!current.empty()) {
      tokens.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  return tokens;
}

const std::vector<std::string>& stop_words(const std::string& language) {
  static const std::map<std::string, std::vector<std::string>> lists{
      {"en", {"the", "of", "and", "to", "is", "that", "it", "for", "with", "as", "on", "be", "this", "by", "you",
              "are", "or", "from", "not", "his", "he", "they", "which", "an", "was", "will", "have", "your", "can"}},
      {"es", {"el", "los", "las", "del", "que", "y", "en", "un", "una", "por", "con", "para", "es", "se", "al",
              "lo", "su", "como", "más", "sus", "pero", "le", "este", "esta", "o", "puede", "si", "cuando", "ser"}},
      {"fr", {"le", "les", "et", "des", "un", "une", "du", "est", "que", "pour", "dans", "qui", "par", "pas", "sur",
              "au", "sont", "avec", "ce", "il", "vous", "ou", "plus", "cette", "être", "peut", "aux", "si", "ne"}},
      {"de", {"der", "die", "und", "den", "von", "zu", "das", "mit", "sich", "des", "auf", "für", "ist", "im",
              "dem", "nicht", "ein", "eine", "als", "auch", "werden", "aus", "er", "hat", "sie", "oder", "wird"}}};
  auto it = lists.find(language);
  if (it == lists.end()) throw std::invalid_argument("no stop-word list for language '" + language + "' (en, es, fr, de)");
  return it->second;
}

bool line_is_language(const std::vector<std::string>& tokens, const std::string& language, const std::string& other) {
  const auto& mine = stop_words(language);
  const auto& theirs = stop_words(other);
  int own = 0, foreign = 0;
  for (const auto& t : tokens) {
    own += std::count(mine.begin(), mine.end(), t) > 0;
    foreign += std::count(theirs.begin(), theirs.end(), t) > 0;
  }
  return foreign <= own;
}

}  // namespace graft
