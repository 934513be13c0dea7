#include "core/options.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace graft {
namespace {

struct ToyOptions {
  double rate = 0.5;
  std::int64_t count = 3;
  std::string mode = "fast";
  std::vector<std::int64_t> widths{4, 8};
  std::vector<double> edges;
  bool flag = false;
  static void declare(OptionSet<ToyOptions>& o) {
    o.add("rate", &ToyOptions::rate, "a rate").min(0.0).max(1.0);
    o.add("count", &ToyOptions::count, "a count").min(1);
    o.add("mode", &ToyOptions::mode, "a mode").choices({"fast", "slow"});
    o.add("widths", &ToyOptions::widths, "widths").min(1);
    o.add("edges", &ToyOptions::edges, "edges").increasing();
    o.add("flag", &ToyOptions::flag, "a flag");
  }
};

std::string error_of(const std::string& yaml) {
  try {
    options_of<ToyOptions>().parse(parse_config_text(yaml, "toy.yaml"), "method", "method 'toy'");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Options, DefaultsComeFromTheStruct) {
  const ToyOptions o = options_of<ToyOptions>().parse(ConfigNode(), "method", "toy");
  EXPECT_EQ(o.rate, 0.5);
  EXPECT_EQ(o.widths, (std::vector<std::int64_t>{4, 8}));
}

TEST(Options, ParsesEveryType) {
  const ToyOptions o = options_of<ToyOptions>().parse(
      parse_config_text("{rate: 0.25, count: 7, mode: slow, widths: [2], flag: true}", "t"), "m", "toy");
  EXPECT_EQ(o.rate, 0.25);
  EXPECT_EQ(o.count, 7);
  EXPECT_EQ(o.mode, "slow");
  EXPECT_EQ(o.widths, std::vector<std::int64_t>{2});
  EXPECT_TRUE(o.flag);
}

TEST(Options, UnknownKeyNamesPositionPathChoicesAndNearest) {
  const std::string e = error_of("{rate: 0.1,\n raet: 2}");
  EXPECT_NE(e.find("toy.yaml:2:2"), std::string::npos) << e;
  EXPECT_NE(e.find("method.raet"), std::string::npos) << e;
  EXPECT_NE(e.find("rate, count, mode, widths, edges, flag"), std::string::npos) << e;
  EXPECT_NE(e.find("Did you mean 'rate'"), std::string::npos) << e;
}

TEST(Options, WrongTypeAndRangeAreErrors) {
  EXPECT_NE(error_of("{count: many}").find("expected an integer"), std::string::npos);
  EXPECT_NE(error_of("{count: 1.5}").find("expected an integer"), std::string::npos);
  EXPECT_NE(error_of("{rate: 2}").find("out of range"), std::string::npos);
  EXPECT_NE(error_of("{widths: [3, 0]}").find("element 1"), std::string::npos);
  EXPECT_NE(error_of("{flag: maybe}").find("true or false"), std::string::npos);
  EXPECT_NE(error_of("{rate: [1]}").find("got a list"), std::string::npos);
  EXPECT_EQ(error_of("{edges: [0.5, 1, 3]}"), "");
  const std::string order = error_of("{edges: [1, 3,\n  3]}");
  EXPECT_NE(order.find("toy.yaml:1:9"), std::string::npos) << order;
  EXPECT_NE(order.find("element 2 (3) is not larger than element 1 (3)"), std::string::npos) << order;
  const std::string choice = error_of("{mode: fsat}");
  EXPECT_NE(choice.find("Did you mean 'fast'"), std::string::npos) << choice;
}

TEST(Options, DumpWritesEveryFieldAndReadsBack) {
  ToyOptions o;
  o.rate = 0.1;
  const ConfigNode dumped = options_of<ToyOptions>().dump(o);
  EXPECT_EQ(dumped.keys(), (std::vector<std::string>{"rate", "count", "mode", "widths", "edges", "flag"}));
  const ToyOptions back = options_of<ToyOptions>().parse(parse_config_text(dumped.to_yaml(), "t"), "m", "toy");
  EXPECT_EQ(back.rate, 0.1);
}

TEST(Options, DocsShowDefaultsAndConstraints) {
  const auto docs = options_of<ToyOptions>().docs();
  ASSERT_EQ(docs.size(), 6u);
  EXPECT_EQ(docs[0].default_value, "0.5");
  EXPECT_EQ(docs[0].constraint, ">= 0, <= 1");
  EXPECT_EQ(docs[2].constraint, "one of: fast, slow");
  EXPECT_EQ(docs[4].constraint, "increasing");
  EXPECT_EQ(docs[3].type, "list of int");
}

// A raw-node option (null default with a meaning) can say what it holds.
struct RawNodeOptions {
  ConfigNode of, keep;
  static void declare(OptionSet<RawNodeOptions>& o) {
    o.add("of", &RawNodeOptions::of, "a data set entry");
    o.add("keep", &RawNodeOptions::keep, "labels").shown_as("list of int");
  }
};

TEST(Options, ShownTypeReplacesARawNodesMap) {
  const auto docs = options_of<RawNodeOptions>().docs();
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].type, "map");
  EXPECT_EQ(docs[1].type, "list of int");
}

// Presets (VecMap's modes): the named preset first, keys given beside it after.
struct PresetOptions {
  std::string mode = "quick";
  std::int64_t rounds = 1;
  double rate = 0.5;
  static void declare(OptionSet<PresetOptions>& o) {
    o.add("mode", &PresetOptions::mode, "a preset").choices({"quick", "thorough"});
    o.add("rounds", &PresetOptions::rounds, "rounds").min(1);
    o.add("rate", &PresetOptions::rate, "a rate");
    o.presets("mode", &PresetOptions::mode,
              {{"quick", [](PresetOptions& v) { v.rounds = 1, v.rate = 0.5; }},
               {"thorough", [](PresetOptions& v) { v.rounds = 20, v.rate = 0.1; }}});
  }
};

PresetOptions parse_preset(const std::string& yaml) {
  return options_of<PresetOptions>().parse(parse_config_text(yaml, "p.yaml"), "method", "method 'p'");
}

TEST(Options, APresetSetsItsValuesAndKeysBesideItOverrideThemInAnyOrder) {
  const auto thorough = parse_preset("{mode: thorough}");
  EXPECT_EQ(thorough.rounds, 20);
  EXPECT_EQ(thorough.rate, 0.1);
  const auto overridden = parse_preset("{rounds: 3, mode: thorough}");  // the key before the preset still wins
  EXPECT_EQ(overridden.rounds, 3);
  EXPECT_EQ(overridden.rate, 0.1);
  const auto quick = parse_preset("{rate: 0.9}");  // no mode: the default's preset
  EXPECT_EQ(quick.rounds, 1);
  EXPECT_EQ(quick.rate, 0.9);
  try {
    parse_preset("{mode: slowest}");
    ADD_FAILURE() << "an unknown preset must be an error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("thorough"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("p.yaml:1"), std::string::npos) << e.what();
  }
}

using testing::TempDir;

struct PathOptions {
  std::string data;
  std::string root;
  static void declare(OptionSet<PathOptions>& o) {
    o.add("data", &PathOptions::data, "a data file").path(PathKind::file);
    o.add("root", &PathOptions::root, "a data folder").path(PathKind::folder);
  }
};

PathOptions parse_paths(const ConfigNode& node) {
  return options_of<PathOptions>().parse(*node.find("data_set"), "data.source", "data set 'toy'");
}

std::string path_error_of(const ConfigNode& node) {
  try {
    parse_paths(node);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

/// Runs the test body from `dir`, as a user who starts graft there.
class WorkingDirectory {
 public:
  explicit WorkingDirectory(const std::string& dir) : saved_(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  ~WorkingDirectory() { std::filesystem::current_path(saved_); }

 private:
  std::filesystem::path saved_;
};

TEST(PathOptions, RelativePathsAreReadFromTheFolderOfTheYamlFileThatWritesThem) {
  TempDir dir;
  dir.write("exp/train.csv", "x\n");
  dir.write("exp/photos/a.txt", "");
  dir.write("base/shared.csv", "x\n");
  dir.write("exp/e.yaml", "_base_: ../base/b.yaml\ndata_set: {data: train.csv, root: photos}\n");
  dir.write("base/b.yaml", "data_set: {data: shared.csv}\n");
  WorkingDirectory cwd(dir.path());
  const PathOptions o = parse_paths(load_config_file("exp/e.yaml"));
  EXPECT_EQ(o.data, "exp/train.csv");  // the file's own value wins over the base's
  EXPECT_EQ(o.root, "exp/photos");
  // A value written in a `_base_` file is read from that file's folder.
  dir.write("exp/f.yaml", "_base_: ../base/b.yaml\n");
  const PathOptions from_base = parse_paths(load_config_file("exp/f.yaml"));
  EXPECT_EQ(from_base.data, "base/shared.csv");
}

TEST(PathOptions, CommandLineAndSavedRunConfigPathsAreReadFromTheWorkingDirectory) {
  TempDir dir;
  dir.write("here.csv", "x\n");
  dir.write("exp/e.yaml", "data_set: {}\n");
  WorkingDirectory cwd(dir.path());
  ConfigNode root = load_config_file("exp/e.yaml");
  apply_override(root, "data_set.data=here.csv");
  EXPECT_EQ(parse_paths(root).data, "here.csv");
  // A value with folders in it too (the override's text is not a file to take a folder from).
  dir.write("sub/there.csv", "x\n");
  apply_override(root, "data_set.data=sub/there.csv");
  EXPECT_EQ(parse_paths(root).data, "sub/there.csv");
  // A run's saved config holds paths resolved when it was made: loading it
  // from the run's folder must not read them from there again.
  dir.write("runs/r1/config.yaml", "data_set: {data: here.csv}\n");
  EXPECT_EQ(parse_paths(load_run_config("runs/r1/config.yaml")).data, "here.csv");
  EXPECT_NE(path_error_of(load_config_file("runs/r1/config.yaml")).find("no such file: runs/r1/here.csv"),
            std::string::npos);
}

struct ListOptions {
  std::string root;
  std::string list;
  std::string if_missing;
  static void declare(OptionSet<ListOptions>& o) {
    o.add("root", &ListOptions::root, "a data folder").path(PathKind::folder);
    o.add("list", &ListOptions::list, "a list file").path(PathKind::file).under(&ListOptions::root, "root");
    o.add("if_missing", &ListOptions::if_missing, "hint").not_saved();
    o.missing_path_hint(&ListOptions::if_missing);
  }
};

std::string list_error_of(const std::string& yaml) {
  try {
    options_of<ListOptions>().parse(*parse_config_text(yaml, "toy.yaml").find("data_set"), "data.source", "toy");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(PathOptions, APathUnderAnotherIsReadUnderItInAnyOrderAndTheHintJoinsAMissingOne) {
  TempDir dir;
  dir.write("office31/image_list/amazon.txt", "a 0\n");
  const std::string root = dir.file("office31");
  // `list` before `root` in the file: still read under root.
  const ListOptions o = options_of<ListOptions>().parse(
      *parse_config_text("data_set: {list: image_list/amazon.txt, root: " + root + "}", "toy.yaml").find("data_set"),
      "data.source", "toy");
  EXPECT_EQ(o.list, root + "/image_list/amazon.txt");
  // An absolute list is taken as it is.
  EXPECT_EQ(list_error_of("data_set: {root: " + root + ", list: " + root + "/image_list/amazon.txt}"), "");

  const std::string hint = "Office-31 (Saenko et al. 2010) is published at example.org";
  const std::string missing_root =
      list_error_of("data_set: {root: " + dir.file("nowhere") + ", list: image_list/amazon.txt, if_missing: " + hint + "}");
  EXPECT_NE(missing_root.find("data.source.root: no such folder: " + dir.file("nowhere")), std::string::npos)
      << missing_root;
  EXPECT_NE(missing_root.find(hint), std::string::npos) << missing_root;
  const std::string missing_list =
      list_error_of("data_set: {if_missing: " + hint + ", root: " + root + ", list: image_list/webcam.txt}");
  EXPECT_NE(missing_list.find("no such file: " + root + "/image_list/webcam.txt (a relative path is read under " + root),
            std::string::npos)
      << missing_list;
  EXPECT_NE(missing_list.find(hint), std::string::npos) << missing_list;
  // Only a missing file or folder gets the hint; another mistake is not about getting the data.
  const std::string mistyped = list_error_of("data_set: {root: [a, b], if_missing: " + hint + "}");
  EXPECT_NE(mistyped.find("expected a string"), std::string::npos) << mistyped;
  EXPECT_EQ(mistyped.find(hint), std::string::npos) << mistyped;
  // Without a hint, the error is the plain one.
  EXPECT_EQ(list_error_of("data_set: {root: " + dir.file("nowhere") + "}").find("Office-31"), std::string::npos);
}

TEST(PathOptions, APathUnderARelativeRootReadsTheSameWhenItsResolvedOptionsAreParsedAgain) {
  TempDir dir;
  dir.write("exp/office31/image_list/amazon.txt", "a 0\n");
  dir.write("exp/e.yaml", "data_set: {root: office31, list: image_list/amazon.txt}\n");
  WorkingDirectory cwd(dir.path());
  const auto& set = options_of<ListOptions>();
  const ListOptions first = set.parse(*load_config_file("exp/e.yaml").find("data_set"), "data.source", "toy");
  EXPECT_EQ(first.root, "exp/office31");
  EXPECT_EQ(first.list, "exp/office31/image_list/amazon.txt");
  // A run builds its data from the resolved (dumped) options, and a saved run config is read again.
  const ListOptions again = set.parse(set.dump(first), "data.source", "toy");
  EXPECT_EQ(again.list, first.list);
  dir.write("runs/r/config.yaml", "data_set: {root: exp/office31, list: exp/office31/image_list/amazon.txt}\n");
  EXPECT_EQ(set.parse(*load_run_config("runs/r/config.yaml").find("data_set"), "data.source", "toy").list, first.list);
}

TEST(PathOptions, AHintIsNotSavedWithTheRun) {
  ListOptions o;
  o.if_missing = "get it from example.org";
  const ConfigNode dumped = options_of<ListOptions>().dump(o);
  EXPECT_EQ(dumped.find("if_missing"), nullptr);
  EXPECT_NE(dumped.find("root"), nullptr);
}

TEST(PathOptions, AMissingPathNamesTheLineTheFolderAndTheNewSpellingOfAnOldPath) {
  TempDir dir;
  dir.write("exp/data/train.csv", "x\n");
  dir.write("exp/e.yaml", "name: x\ndata_set: {data: exp/data/train.csv}\n");
  WorkingDirectory cwd(dir.path());
  const std::string e = path_error_of(load_config_file("exp/e.yaml"));
  EXPECT_NE(e.find("exp/e.yaml:2:"), std::string::npos) << e;
  EXPECT_NE(e.find("data.source.data"), std::string::npos) << e;
  EXPECT_NE(e.find("no such file: exp/exp/data/train.csv"), std::string::npos) << e;
  // The path worked when graft read it from the working directory: say how to write it now.
  EXPECT_NE(e.find("write it as data/train.csv"), std::string::npos) << e;
}

TEST(PathOptions, AFileMustBeARegularReadableFileAndAFolderAFolder) {
  TempDir dir;
  dir.write("d/x.txt", "");
  const std::string fifo = dir.file("fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const auto error_for = [&](const std::string& yaml) {
    return path_error_of(load_config_file(dir.write("e.yaml", yaml)));
  };
  EXPECT_NE(error_for("data_set: {data: d}").find("is a folder; a file is expected"), std::string::npos);
  EXPECT_NE(error_for("data_set: {data: fifo}").find("not a regular file"), std::string::npos);
  EXPECT_NE(error_for("data_set: {root: d/x.txt}").find("is not a folder"), std::string::npos);
  EXPECT_NE(error_for("data_set: {root: nowhere}").find("no such folder"), std::string::npos);
  if (geteuid() != 0) {  // root reads every file whatever its mode
    dir.write("locked.csv", "x");
    std::filesystem::permissions(dir.file("locked.csv"), std::filesystem::perms::none);
    EXPECT_NE(error_for("data_set: {data: locked.csv}").find("cannot be read"), std::string::npos);
  }
  // Absolute paths are taken as they are; an empty value means "not given".
  EXPECT_EQ(parse_paths(load_config_file(dir.write("e.yaml", "data_set: {data: " + dir.file("d/x.txt") + "}"))).data,
            dir.file("d/x.txt"));
  EXPECT_EQ(parse_paths(load_config_file(dir.write("e.yaml", "data_set: {data: ''}"))).data, "");
}

}  // namespace
}  // namespace graft
