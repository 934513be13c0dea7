// The command line itself (cli/main.cpp), through the built binary.
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace graft {
namespace {

struct Outcome {
  int status;
  std::string output;
};

Outcome run_cli(const std::string& arguments) {
  testing::TempDir dir;
  const std::string out = dir.file("out");
  const int status = std::system((testing::graft_binary() + " " + arguments + " > " + out + " 2>&1").c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, testing::read_text(out)};
}

// `graft run --help` is the first thing a user types: it must answer with
// what `run` takes, not fail on an unknown flag or print every command.
TEST(Cli, HelpAfterACommandPrintsThatCommandsUsage) {
  const Outcome run = run_cli("run --help");
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("graft run FILE [key.path=value ...]"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("--jobs N"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("--nproc N"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("graft report"), std::string::npos) << run.output;

  const Outcome report = run_cli("report -h");
  EXPECT_EQ(report.status, 0);
  EXPECT_NE(report.output.find("[--format text|markdown|csv|latex]"), std::string::npos) << report.output;
  EXPECT_EQ(report.output.find("graft run"), std::string::npos) << report.output;

  const Outcome data = run_cli("data fetch --help");
  EXPECT_EQ(data.status, 0);
  EXPECT_NE(data.output.find("graft data fetch NAME|all"), std::string::npos) << data.output;
  EXPECT_NE(data.output.find("graft data export"), std::string::npos) << data.output;
}

TEST(Cli, HelpAfterAnUnknownCommandIsTheUnknownCommandError) {
  const Outcome unknown = run_cli("rnu --help");
  EXPECT_EQ(unknown.status, 2);
  EXPECT_NE(unknown.output.find("unknown command 'rnu'"), std::string::npos) << unknown.output;
}

TEST(Cli, AMistypedFlagIsStillAnErrorNamingTheValidOnes) {
  const Outcome typo = run_cli("run " + testing::source_dir() + "/experiments/quickstart.yaml --jbos 2");
  EXPECT_NE(typo.status, 0);
  EXPECT_NE(typo.output.find("unknown flag '--jbos'"), std::string::npos) << typo.output;
  EXPECT_NE(typo.output.find("--jobs"), std::string::npos) << typo.output;
}

}  // namespace
}  // namespace graft
