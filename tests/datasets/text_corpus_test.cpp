// Text extraction from the package formats and the shared tokenisation.

#include "datasets/text_corpus.h"

#include <gtest/gtest.h>

namespace graft::testing {
namespace {

TEST(TextCorpus, TokenizeLowerCasesLatinLettersAndSplitsOnPunctuation) {
  EXPECT_EQ(tokenize("ÁRBOL, Niño y CIGÜEÑA: 42 años!"),
            (std::vector<std::string>{"árbol", "niño", "y", "cigüeña", "42", "años"}));
  EXPECT_EQ(tokenize("Ça coûte l'été"), (std::vector<std::string>{"ça", "coûte", "l", "été"}));
  EXPECT_TRUE(tokenize(" -- ... ").empty());
  EXPECT_EQ(tokenize("bad\xff" "byte"), (std::vector<std::string>{"bad", "byte"}));
}

TEST(TextCorpus, EntitiesAreDecoded) {
  EXPECT_EQ(decode_entities("a &amp; b &lt;c&gt; &aacute;rbol &#233;t&#xE9; &unknown;"),
            "a & b <c> árbol été &unknown;");
}

TEST(TextCorpus, HtmlKeepsTextDropsHeadScriptsAndNavigation) {
  const std::string page =
      "<html><head><title>T</title><script>var x;</script></head><body>"
      "<div class=\"navheader\"><a href=\"x\">Prev</a> <div>inner</div></div>"
      "<p>Hello <b>bold</b> world</p><!-- a comment --><p>second &amp; last</p>"
      "<div class=\"navfooter\">Next</div></body></html>";
  const auto text = html_to_text(page);
  EXPECT_NE(text.find("Hello  bold  world"), std::string::npos) << text;
  EXPECT_NE(text.find("second & last"), std::string::npos);
  for (const char* gone : {"Prev", "inner", "Next", "var x", "comment", "T\n"})
    EXPECT_EQ(text.find(gone), std::string::npos) << gone << " in " << text;
}

TEST(TextCorpus, HtmlCanKeepOneElementById) {
  const std::string page =
      "<body><div id=\"Menu\">menu text</div><div id=\"DisplayArea\"><p>kept <div>nested</div> too</p></div>"
      "<div>footer</div></body>";
  const auto text = html_to_text(page, "DisplayArea");
  EXPECT_NE(text.find("kept"), std::string::npos);
  EXPECT_NE(text.find("nested"), std::string::npos);
  EXPECT_NE(text.find("too"), std::string::npos);
  EXPECT_EQ(text.find("menu"), std::string::npos);
  EXPECT_EQ(text.find("footer"), std::string::npos);
  EXPECT_NE(html_to_text(page, "Absent").find("menu text"), std::string::npos);  // no such id: the whole page
}

TEST(TextCorpus, OsisKeepsVerseWordsDropsKeysAndFootnotes) {
  const std::string imp =
      "$$$Genesis 1:1\n"
      "<w lemma=\"strong:H0430\">In</w> <w lemma=\"strong:H0853\">the</w> beginning, "
      "<w>God</w><note placement=\"foot\"><reference>1:1 </reference>The Hebrew word</note><w>created</w>.\n"
      "$$$Genesis 1:2\n"
      "\n";
  const auto text = osis_to_text(imp);
  EXPECT_EQ(tokenize(text), (std::vector<std::string>{"in", "the", "beginning", "god", "created"}));
  EXPECT_EQ(text.find("Genesis"), std::string::npos);
  // The keys align two translations; an empty verse (1:2 here) is left out.
  const auto verses = osis_verses(imp + "$$$Genesis 1:3\r\nAnd God said\n");
  ASSERT_EQ(verses.size(), 2u);
  EXPECT_EQ(verses[0].first, "Genesis 1:1");
  EXPECT_EQ(tokenize(verses[0].second), (std::vector<std::string>{"in", "the", "beginning", "god", "created"}));
  EXPECT_EQ(verses[1].first, "Genesis 1:3");
}

TEST(TextCorpus, FortunesDropSeparators) {
  EXPECT_EQ(fortunes_to_text("one\n%\ntwo\nthree\n%\n"), "one\ntwo\nthree\n");
}

TEST(TextCorpus, ManPagesKeepTextDropRequestsAndEscapes) {
  const std::string roff =
      ".\\\" -*- coding: UTF-8 -*-\n"
      ".TH securetty 5 \"30 Octubre 2022\"\n"
      ".SH DESCRIPCI\u00d3N\n"
      "El fichero \\fI/etc/securetty\\fP contiene los nombres\n"
      ".PP\n"
      ".BR login (1),\n"
      "de \\s-1usuario\\s0 \\(em root\\-only \\[u00E9]t\\&\n"
      ".SH TRADUCCI\u00d3N\n"
      "La traducci\u00f3n al espa\u00f1ol fue creada por\n";
  EXPECT_EQ(man_to_text(roff),
            "DESCRIPCI\u00d3N\n"
            "El fichero /etc/securetty contiene los nombres\n"
            "login (1),\n"
            "de usuario   root-only  t\n");
}

TEST(TextCorpus, LanguageFilterDropsUntranslatedEnglish) {
  EXPECT_TRUE(line_is_language(tokenize("Haga clic en el botón para abrir la ventana"), "es", "en"));
  EXPECT_FALSE(line_is_language(tokenize("Click the button to open the window"), "es", "en"));
  EXPECT_TRUE(line_is_language(tokenize("Filtro Gauss"), "es", "en"));  // no evidence: kept
  EXPECT_THROW(stop_words("xx"), std::invalid_argument);
}

}  // namespace
}  // namespace graft::testing
