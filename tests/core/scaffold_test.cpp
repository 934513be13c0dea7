// `graft new method`: the files it writes and the lines it adds (that they
// build and run is checked by building one: tests/plugins/out_of_tree_test.sh
// for the plugin form; the in-tree form uses the same templates).

#include "core/scaffold.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/test_util.h"

namespace graft::testing {
namespace {

/// A copy of the parts of graft's tree the scaffold touches.
struct FakeTree {
  TempDir dir;
  FakeTree() {
    for (const char* f : {"methods/CMakeLists.txt", "tests/CMakeLists.txt", "core/strategy.h"}) {
      std::filesystem::create_directories(std::filesystem::path(dir.file(f)).parent_path());
      std::filesystem::copy_file(source_dir() + "/" + f, dir.file(f));
    }
  }
};

TEST(Scaffold, WritesTheFilePairTestAndExperimentAndRegistersTheSources) {
  FakeTree tree;
  NewMethodRequest request;
  request.name = "label_smoothing";
  request.paradigm = "fine_tuning";
  request.source_root = tree.dir.path();
  const auto written = write_new_method(request);
  EXPECT_EQ(written.size(), 6u);
  const auto header = read_text(tree.dir.file("methods/fine_tuning/label_smoothing.h"));
  EXPECT_NE(header.find("class LabelSmoothing : public Strategy"), std::string::npos) << header;
  EXPECT_NE(header.find("#include \"core/strategy.h\""), std::string::npos);
  const auto source = read_text(tree.dir.file("methods/fine_tuning/label_smoothing.cpp"));
  EXPECT_NE(source.find("GRAFT_REGISTER_METHOD(LabelSmoothing, \"label_smoothing\""), std::string::npos) << source;
  EXPECT_EQ(source.find("GRAFT_PLUGIN"), std::string::npos);
  EXPECT_NE(read_text(tree.dir.file("tests/methods/fine_tuning/label_smoothing_test.cpp")).find("TEST(LabelSmoothing"),
            std::string::npos);
  EXPECT_NE(read_text(tree.dir.file("experiments/fine_tuning/label_smoothing.yaml")).find("{method: {name: label_smoothing}}"),
            std::string::npos);
  const auto methods = read_text(tree.dir.file("methods/CMakeLists.txt"));
  // Inside add_library(graft_methods OBJECT ...), on a line of its own.
  const auto line = methods.find("\n  fine_tuning/label_smoothing.cpp");
  ASSERT_NE(line, std::string::npos) << methods;
  EXPECT_GT(line, methods.find("add_library(graft_methods OBJECT"));
  EXPECT_EQ(methods.find(')', methods.find("add_library(graft_methods OBJECT")), line + 34);  // "\n  fine_tuning/label_smoothing.cpp" is 34 characters
  EXPECT_NE(read_text(tree.dir.file("tests/CMakeLists.txt")).find("  methods/fine_tuning/label_smoothing_test.cpp\n"),
            std::string::npos);
  // Again: refused, nothing overwritten.
  EXPECT_THROW(write_new_method(request), Error);
}

TEST(Scaffold, PluginProjectsCarryTheirOwnBuildAndPluginLine) {
  TempDir dir;
  NewMethodRequest request;
  request.name = "smooth_ce";
  request.out_of_tree = dir.file("plugin");
  write_new_method(request);
  EXPECT_NE(read_text(dir.file("plugin/smooth_ce.cpp")).find("GRAFT_PLUGIN(\"smooth_ce\");"), std::string::npos);
  EXPECT_NE(read_text(dir.file("plugin/smooth_ce.h")).find("#include <graft/core/strategy.h>"), std::string::npos);
  EXPECT_NE(read_text(dir.file("plugin/CMakeLists.txt")).find("graft_add_plugin(graft_smooth_ce smooth_ce.cpp)"),
            std::string::npos);
  EXPECT_NE(read_text(dir.file("plugin/smooth_ce.yaml")).find("plugins: [build/libgraft_smooth_ce.so]"), std::string::npos);
}

TEST(Scaffold, RefusesBadAndTakenNamesAndForeignTrees) {
  TempDir dir;
  NewMethodRequest request;
  request.source_root = dir.path();
  for (const char* bad : {"Bad", "9lives", "with-dash", ""}) {
    request.name = bad;
    EXPECT_THROW(write_new_method(request), Error) << bad;
  }
  request.name = "dann";
  try {
    write_new_method(request);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("already registered"), std::string::npos);
  }
  request.name = "fresh_name";
  try {
    write_new_method(request);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--out-of-tree"), std::string::npos);
  }
}

}  // namespace
}  // namespace graft::testing
