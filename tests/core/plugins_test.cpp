// Plugin loading errors, checked without building a plugin (the build and a
// real load are tests/plugins/out_of_tree_test.sh).

#include "core/plugins.h"

#include <cstdlib>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/experiment.h"
#include "tests/test_util.h"

namespace graft::testing {
namespace {

std::string load_error(const std::string& path) {
  try {
    load_plugin(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "(loaded)";
}

TEST(Plugins, MissingFileNotAPluginAndWrongAbiAreRefusedBeforeLoading) {
  TempDir dir;
  EXPECT_NE(load_error(dir.file("absent.so")).find("no such file"), std::string::npos);
  // A folder once gave "basic_filebuf::underflow error", /dev/zero read until memory ran out.
  EXPECT_NE(load_error(dir.path()).find("not a regular file"), std::string::npos) << load_error(dir.path());
  EXPECT_NE(load_error("/dev/zero").find("plugin /dev/zero: not a regular file"), std::string::npos);
  // Any shared library without GRAFT_PLUGIN: refused, never dlopen'ed.
  const std::string plain = dir.write("plain.so", "\x7f" "ELF not really a library");
  EXPECT_NE(load_error(plain).find("is not a graft plugin"), std::string::npos) << load_error(plain);
  // The ABI tag is read from the file's bytes: a tag from another graft is named beside ours.
  const std::string old = dir.write("old.so", std::string("junk\0GRAFT_PLUGIN_ABI=graft 0.0.9; libtorch 1.12; "
                                                          "libstdc++ ABI 1\nGRAFT_PLUGIN_NAME=x\n", 70));
  const std::string message = load_error(old);
  EXPECT_NE(message.find("built for 'graft 0.0.9; libtorch 1.12"), std::string::npos) << message;
  EXPECT_NE(message.find(plugin_abi_tag()), std::string::npos) << message;
  EXPECT_NE(plugin_abi_tag().find("graft " GRAFT_VERSION), std::string::npos);
}

TEST(Plugins, NamesResolveAgainstTheFileOrTheSearchPath) {
  TempDir dir;
  dir.write("lib/libgraft_x.so", "");
  EXPECT_EQ(resolve_plugin_path("/abs/p.so", dir.path()), "/abs/p.so");
  EXPECT_EQ(resolve_plugin_path("lib/libgraft_x.so", dir.path()), dir.file("lib/libgraft_x.so"));
  {
    EnvironmentGuard search_path("GRAFT_PLUGIN_PATH", dir.file("lib").c_str());
    EXPECT_EQ(resolve_plugin_path("graft_x", "/nowhere"), dir.file("lib") + "/libgraft_x.so");
  }
  EnvironmentGuard no_search_path("GRAFT_PLUGIN_PATH", nullptr);
  try {
    resolve_plugin_path("graft_y", dir.path());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("GRAFT_PLUGIN_PATH"), std::string::npos);
  }
}

TEST(Plugins, AnExperimentNamesTheBadPluginEntryByLine) {
  TempDir dir;
  const auto file = dir.write("e.yaml", "name: e\nplugins:\n  - build/libmissing.so\nmethod: source_only\n");
  try {
    load_experiment(file, {});
    FAIL();
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("e.yaml:3:"), std::string::npos) << m;
    EXPECT_NE(m.find("plugins[0]"), std::string::npos) << m;
    EXPECT_NE(m.find("libmissing.so: no such file"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace graft::testing
