#pragma once
// Plain text out of the formats Debian ships documents in, and the one
// tokenisation every corpus of graft uses. Torch-free.
//
// Tokens are lower-cased runs of letters and digits (UTF-8 aware for the
// Latin scripts), the convention of the cross-lingual benchmarks built from
// Wikipedia (MUSE's vectors are lower-cased too).

#include <utility>
#include <string>
#include <vector>

namespace graft {

/// Decodes the HTML/XML character references that occur in documentation:
/// &amp; &lt; &gt; &quot; &apos; &nbsp;, the Latin-1 letters (&eacute; ...)
/// and numeric references (&#233; &#xE9;). Unknown references are kept.
std::string decode_entities(const std::string& text);

/// The text of an HTML or XHTML page, one block element per line. Drops
/// <head>, <script>, <style>, and DocBook's navigation (class "navheader",
/// "navfooter"). With `only_div_id`, keeps just the element with that id when
/// the page has one (LibreOffice help keeps its text in id="DisplayArea").
std::string html_to_text(const std::string& html, const std::string& only_div_id = "");

/// The verse text of a SWORD module exported by `mod2imp` (OSIS markup):
/// one verse per line, headers ("$$$Genesis 1:1") and footnotes dropped,
/// Strong's-number word tags reduced to their words.
std::string osis_to_text(const std::string& imp);

/// The same verses with their keys ("Genesis 1:1", as the line before each
/// verse gives it; SWORD's keys name books in English in every translation,
/// so the keys of two translations align their verses).
std::vector<std::pair<std::string, std::string>> osis_verses(const std::string& imp);

/// The text of a fortune file: the "%" separators dropped.
std::string fortunes_to_text(const std::string& fortunes);

/// The running text of a man page (roff source, man macros): comments and
/// formatting requests dropped, the text arguments of .SH/.SS/.B/.I/.BR and
/// friends kept, font/size escapes removed, \- and special characters turned
/// into plain characters or spaces. One input text line per output line.
/// Stops at a translation-credits section (.SH TRADUCCIÓN / TRADUCTION).
std::string man_to_text(const std::string& roff);

/// Lower-cased tokens of `line`: maximal runs of letters and digits.
std::vector<std::string> tokenize(const std::string& line);

/// A short list of very frequent function words of `language` ("en", "es",
/// "fr", "de"), for telling languages apart line by line.
const std::vector<std::string>& stop_words(const std::string& language);

/// True when `tokens` look more like `language` than like `other`: more of
/// its stop words than of the other's. Lines of untranslated English in a
/// translated manual fail this for the translation's language.
bool line_is_language(const std::vector<std::string>& tokens, const std::string& language, const std::string& other);

}  // namespace graft
