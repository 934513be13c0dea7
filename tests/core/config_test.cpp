#include "core/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/test_util.h"

namespace graft {
namespace {

using testing::TempDir;

TEST(Config, RecordsFileLineAndColumnOfEveryValue) {
  TempDir dir;
  const auto path = dir.write("a.yaml", "name: x\nmethod:\n  name: dann\n  gamma: 5\n");
  const ConfigNode root = load_config_file(path);
  const ConfigNode* gamma = root.find("method")->find("gamma");
  ASSERT_NE(gamma, nullptr);
  EXPECT_EQ(gamma->text(), "5");
  EXPECT_EQ(gamma->mark().file, path);
  EXPECT_EQ(gamma->mark().line, 4);
  EXPECT_EQ(gamma->mark().column, 10);
}

TEST(Config, BaseFilesMergeDeeplyAndTheChildWins) {
  TempDir dir;
  dir.write("base.yaml", "steps: 100\noptimizer: {name: sgd, lr: 0.1, momentum: 0.9}\n");
  const auto child = dir.write("sub/child.yaml", "_base_: ../base.yaml\noptimizer: {lr: 0.01}\n");
  const ConfigNode root = load_config_file(child);
  EXPECT_EQ(root.find("steps")->text(), "100");
  EXPECT_EQ(root.find("optimizer")->find("lr")->text(), "0.01");
  EXPECT_EQ(root.find("optimizer")->find("momentum")->text(), "0.9");
  EXPECT_EQ(root.find("_base_"), nullptr);
}

TEST(Config, AnotherComponentNameReplacesTheBaseOptions) {
  // The base's options belong to the other component and would be unknown keys.
  ConfigNode base = parse_config_text("method: {name: dann, gamma: 5}", "base");
  base.merge_from(parse_config_text("method: {name: source_only}", "overlay"));
  EXPECT_EQ(base.find("method")->find("gamma"), nullptr);
  EXPECT_EQ(base.find("method")->find("name")->text(), "source_only");
}

TEST(Config, BaseWithAnotherExperimentNameStillMerges) {
  TempDir dir;
  dir.write("base.yaml", "name: base\nsteps: 100\n");
  const ConfigNode root = load_config_file(dir.write("child.yaml", "_base_: base.yaml\nname: child\n"));
  EXPECT_EQ(root.find("name")->text(), "child");
  EXPECT_EQ(root.find("steps")->text(), "100");
}

TEST(Config, BaseCycleIsAnError) {
  TempDir dir;
  dir.write("a.yaml", "_base_: b.yaml\n");
  dir.write("b.yaml", "_base_: a.yaml\n");
  try {
    load_config_file(dir.file("a.yaml"));
    FAIL() << "expected a cycle error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("cycle"), std::string::npos) << e.what();
  }
}

TEST(Config, MissingBaseNamesTheIncludingLine) {
  TempDir dir;
  const auto path = dir.write("a.yaml", "steps: 1\n_base_: nothere.yaml\n");
  try {
    load_config_file(path);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":2:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("nothere.yaml"), std::string::npos);
  }
}

TEST(Config, OverridesSetNestedPathsAndParseYamlValues) {
  ConfigNode root = parse_config_text("method: {name: dann}\n", "t");
  apply_override(root, "method.gamma=3.5");
  apply_override(root, "seeds=[1, 2]");
  apply_override(root, "model.hidden=[8]");
  EXPECT_EQ(root.find("method")->find("gamma")->text(), "3.5");
  EXPECT_EQ(root.find("seeds")->items().size(), 2u);
  EXPECT_EQ(root.find("model")->find("hidden")->items()[0].text(), "8");
  EXPECT_NE(root.find("method")->find("gamma")->mark().file.find("method.gamma=3.5"), std::string::npos);
}

TEST(Config, MalformedOverrideIsAnError) {
  ConfigNode root;
  EXPECT_THROW(apply_override(root, "no_equals_sign"), ConfigError);
  EXPECT_THROW(apply_override(root, "=3"), ConfigError);
}

TEST(Config, YamlSyntaxErrorNamesThePosition) {
  TempDir dir;
  const auto path = dir.write("a.yaml", "a: [1, 2\n");
  try {
    load_config_file(path);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":"), std::string::npos) << e.what();
  }
}

/// The message load_config_file gives for `path`, or "" when it loads.
std::string load_error(const std::string& path) {
  try {
    load_config_file(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// Limits as policy (core/config.cpp): each of these once crashed, hung, ran
// out of memory or was accepted as something else.
TEST(Config, LimitsOnSizeDepthAliasesAndFileKinds) {
  TempDir dir;
  // A "billion laughs" file: nine levels of aliases, each nine times the last.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n";
  for (char level = 'b'; level <= 'j'; ++level) {
    const char previous = static_cast<char>(level - 1);
    bomb += fmt::format("{0}: &{0} [*{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}]\n", level, previous);
  }
  const std::string laughs = load_error(dir.write("bomb.yaml", bomb));
  EXPECT_NE(laughs.find("more than 100000 values once its aliases"), std::string::npos) << laughs;
  EXPECT_NE(laughs.find("bomb.yaml"), std::string::npos) << laughs;

  const std::string deep = load_error(dir.write("deep.yaml", "a: " + std::string(100, '[') + std::string(100, ']') + "\n"));
  EXPECT_NE(deep.find("nested more than 64 levels"), std::string::npos) << deep;

  const std::string big = load_error(dir.write("big.yaml", "a: '" + std::string(2 << 20, 'x') + "'\n"));
  EXPECT_NE(big.find("an experiment file may have at most 1048576"), std::string::npos) << big.substr(0, 200);

  std::filesystem::create_directories(dir.file("folder.yaml"));
  EXPECT_NE(load_error(dir.file("folder.yaml")).find("not a regular file"), std::string::npos);
  EXPECT_NE(load_error("/dev/zero").find("/dev/zero: not a regular file"), std::string::npos);
  ASSERT_EQ(mkfifo(dir.file("fifo.yaml").c_str(), 0600), 0);
  dir.write("child.yaml", "_base_: fifo.yaml\nsteps: 1\n");
  const std::string fifo = load_error(dir.file("child.yaml"));
  EXPECT_NE(fifo.find("child.yaml:1:9: _base_: '" + dir.file("fifo.yaml") + "' is not a regular file"),
            std::string::npos) << fifo;
  // Found by fuzz_experiment: `_base_: !tag` is an empty path, which named
  // the folder but not the file and line that wrote it.
  const std::string tagged = load_error(dir.write("tagged.yaml", "_base_: !base.yaml\nsteps: 1\n"));
  EXPECT_NE(tagged.find("tagged.yaml:1:9: _base_: an empty path"), std::string::npos) << tagged;
  // Also found by it: a name longer than the file system allows threw
  // std::filesystem_error past graft's handlers.
  const std::string long_name = load_error(dir.write("long.yaml", "_base_: " + std::string(300, 'b') + ".yaml\n"));
  EXPECT_NE(long_name.find("long.yaml:1:9: _base_: '"), std::string::npos) << long_name;
  EXPECT_NE(long_name.find("File name too long"), std::string::npos) << long_name;
}

// YAML lets quoted values run over lines; in an experiment file that is a
// missing quote, which once swallowed the next key into the name.
TEST(Config, AQuotedValueRunningOverLinesIsAMissingQuote) {
  TempDir dir;
  const std::string unclosed = load_error(dir.write("q.yaml", "name: \"x\nseeds: [0]\nsteps: 3\n"));
  EXPECT_NE(unclosed.find("q.yaml:1:7: this quoted value runs on to line"), std::string::npos) << unclosed;
  EXPECT_NE(unclosed.find("closing quote missing"), std::string::npos) << unclosed;
  const std::string single = load_error(dir.write("s.yaml", "name: 'it''s\nseeds: [0]\n"));
  EXPECT_NE(single.find("s.yaml:1:7: this quoted value runs on"), std::string::npos) << single;
  // Quotes that close on their line, escapes included, are fine.
  EXPECT_EQ(load_error(dir.write("ok.yaml", "name: \"a \\\" b\"\nother: 'it''s'\nlist: [\"x\", 'y']\n")), "");
}

TEST(Config, DuplicateKeyIsAnError) {
  EXPECT_THROW(parse_config_text("a: 1\na: 2\n", "t"), ConfigError);
}

TEST(Config, YamlRoundTripKeepsValuesAndHash) {
  const ConfigNode root = parse_config_text(
      "name: x\ndata: {source: {name: two_moons, rotation: 35}}\nseeds: [0, 1]\ntext: 'a: b'\nempty: {}\n", "t");
  const ConfigNode again = parse_config_text(root.to_yaml(), "again");
  EXPECT_EQ(root.to_yaml(), again.to_yaml());
  EXPECT_EQ(root.hash(), again.hash());
  EXPECT_EQ(again.find("text")->text(), "a: b");
}

// experiment.yaml and each run's config.yaml hold to_yaml's text; a list of
// maps (transforms, tasks) was once written with its first key one column
// right of the others, which YAML cannot read back.
TEST(Config, AListOfMapsIsWrittenAsYamlThatReadsBack) {
  const ConfigNode root =
      parse_config_text("transforms:\n  - {name: resize, size: [36, 36]}\n  - {name: flip}\n", "t");
  EXPECT_EQ(root.to_yaml(), "transforms:\n  - name: resize\n    size: [36, 36]\n  - name: flip\n");
  const ConfigNode again = parse_config_text(root.to_yaml(), "again");
  EXPECT_EQ(again.find("transforms")->items().at(0).find("size")->items().at(1).text(), "36");
  // The identity of runs recorded before the fix stays what it was, so they
  // are not trained again: FNV-1a of the old text, computed outside graft.
  EXPECT_EQ(root.hash(), "d3bdebb08dd96950");
  EXPECT_EQ(again.hash(), root.hash());
}

TEST(Config, AtomicWriteLeavesNoTemporaryFile) {
  TempDir dir;
  const auto path = dir.file("deep/out.txt");
  write_file_atomically(path, "hello");
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(dir.files_in("deep"), std::vector<std::string>{"out.txt"});
}

TEST(Config, TemporaryNamesAreNeverShared) {
  // --jobs children write the sweep's experiment.yaml at once; a shared
  // temporary name made one child's rename fail and that run go missing.
  const std::string a = temporary_sibling("/r/experiment.yaml"), b = temporary_sibling("/r/experiment.yaml");
  EXPECT_NE(a, b);
  EXPECT_EQ(std::filesystem::path(a).parent_path(), "/r");
  EXPECT_NE(a.find(std::to_string(getpid())), std::string::npos);
}

TEST(Error, NearestMatchSuggestsTyposOnly) {
  EXPECT_EQ(nearest_match("gama", {"gamma", "lambda_max"}), "gamma");
  EXPECT_EQ(nearest_match("completely_else", {"gamma", "beta"}), "");
}

}  // namespace
}  // namespace graft
