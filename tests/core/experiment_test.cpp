#include "core/experiment.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/test_util.h"

namespace graft {
namespace {

using testing::TempDir;

constexpr const char* kBase = R"(name: exp
data:
  source: {name: two_moons}
  target: {name: two_moons, rotation: 35}
model: {name: mlp, hidden: [8]}
method: {name: dann}
steps: 10
seeds: [0, 1]
)";

TEST(Experiment, ExpandsVariantsTimesGridTimesSeeds) {
  TempDir dir;
  const auto path = dir.write("e.yaml", std::string(kBase) +
                                            "variants:\n  so: {method: {name: source_only}}\n  dann: {}\n"
                                            "grid:\n  optimizer.lr: [0.1, 0.01]\n");
  const Experiment e = load_experiment(path, {});
  EXPECT_EQ(e.runs.size(), 2u * 2u * 2u);
  EXPECT_EQ(e.variants, (std::vector<std::string>{"so optimizer.lr=0.1", "so optimizer.lr=0.01",
                                                  "dann optimizer.lr=0.1", "dann optimizer.lr=0.01"}));
  EXPECT_EQ(e.runs[0].method.find("name")->text(), "source_only");
  EXPECT_EQ(e.runs[7].method.find("name")->text(), "dann");
  EXPECT_EQ(e.runs[7].optimizer.find("lr")->text(), "0.01");
  EXPECT_EQ(e.runs[7].seed, 1);
  // Resolved configs carry every default.
  EXPECT_NE(e.runs[7].resolved.find("method")->find("gamma"), nullptr);
}

TEST(Experiment, WithoutVariantsTheRowIsTheMethodName) {
  TempDir dir;
  const Experiment e = load_experiment(dir.write("e.yaml", kBase), {"seeds=[3]"});
  ASSERT_EQ(e.runs.size(), 1u);
  EXPECT_EQ(e.runs[0].variant, "dann");
  EXPECT_EQ(e.runs[0].run_id, "dann__seed3");
}

TEST(Experiment, ErrorsNameFileLineKeyAndVariant) {
  TempDir dir;
  const auto path = dir.write("e.yaml", std::string(kBase) + "variants:\n  bad: {method: {name: dann, gama: 1}}\n");
  try {
    load_experiment(path, {});
    FAIL();
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(path + ":10:"), std::string::npos) << m;
    EXPECT_NE(m.find("method.gama"), std::string::npos) << m;
    EXPECT_NE(m.find("Did you mean 'gamma'"), std::string::npos) << m;
    EXPECT_NE(m.find("variant 'bad'"), std::string::npos) << m;
  }
}

TEST(Experiment, UnknownDeviceAndRepeatedSeedsAreErrors) {
  TempDir dir;
  const auto path = dir.write("e.yaml", kBase);
  EXPECT_THROW(load_experiment(path, {"device=gpu"}), ConfigError);
  EXPECT_THROW(load_experiment(path, {"seeds=[1, 1]"}), ConfigError);
  EXPECT_NO_THROW(load_experiment(path, {"device=cuda:1"}));  // checked when the run starts
}

// Once accepted: `seeds=[]` ran nothing and exited 0; `name: ..` wrote the
// results outside the output folder.
TEST(Experiment, NoSeedsAndANameThatIsAPathAreErrors) {
  TempDir dir;
  const auto path = dir.write("e.yaml", kBase);
  auto message = [&](const std::vector<std::string>& overrides) {
    try {
      load_experiment(path, overrides);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const std::string no_seeds = message({"seeds=[]"});
  EXPECT_NE(no_seeds.find("seeds"), std::string::npos) << no_seeds;
  EXPECT_NE(no_seeds.find("nothing would run"), std::string::npos) << no_seeds;
  for (const char* name : {"..", ".", "a/b", "../x"}) {
    const std::string m = message({std::string("name=") + name});
    EXPECT_NE(m.find("is not a folder name"), std::string::npos) << name << ": " << m;
  }
  const auto in_file = dir.write("n.yaml", "name: ..\n" + std::string(kBase).substr(std::string(kBase).find('\n') + 1));
  try {
    load_experiment(in_file, {});
    FAIL() << "name: .. accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(in_file + ":1:"), std::string::npos) << e.what();
  }
}

// Once accepted: a variant's own `report:` was copied into its runs while the
// table took the first run's, so the variant's choice was silently ignored.
TEST(Experiment, AVariantCannotSetWhatBelongsToTheWholeExperiment) {
  TempDir dir;
  for (const char* key : {"report: [target.test_acc]", "selection: [source.val_acc]", "name: other",
                          "output: elsewhere"}) {
    const auto path = dir.write("e.yaml", std::string(kBase) + "variants:\n  so:\n    method: {name: source_only}\n    " +
                                              key + "\n  dann: {}\n");
    const std::string field = std::string(key).substr(0, std::string(key).find(':'));
    for (const std::string& expected : {path + ":12:", "variants.so." + field, std::string("set it at the top")})
      testing::expect_error_containing<ConfigError>([&] { load_experiment(path, {}); }, expected);
  }
}

TEST(Experiment, ANamedGridAxisAppliesItsPointsAndCanBeShownAsColumns) {
  TempDir dir;
  const auto path = dir.write("e.yaml", std::string(kBase) +
                                            "variants:\n  so: {method: {name: source_only}}\n  dann: {}\n"
                                            "grid:\n  task:\n    near: {data.target.rotation: 10}\n"
                                            "    far: {data.target.rotation: 60, data.source.noise: 0.2}\n"
                                            "columns: task\n");
  const Experiment e = load_experiment(path, {});
  EXPECT_EQ(e.variants, (std::vector<std::string>{"so task=near", "so task=far", "dann task=near", "dann task=far"}));
  EXPECT_EQ(e.runs.at(2).data.at("target").find("rotation")->text(), "60");
  EXPECT_EQ(e.runs.at(2).data.at("source").find("noise")->text(), "0.2");
  EXPECT_EQ(e.runs.at(0).data.at("target").find("rotation")->text(), "10");
  EXPECT_EQ(e.columns.axis, "task");
  EXPECT_EQ(e.columns.points, (std::vector<std::string>{"near", "far"}));

  const auto bad = dir.write("bad.yaml", std::string(kBase) + "grid: {optimizer.lr: [0.1]}\ncolumns: tsak\n");
  try {
    load_experiment(bad, {});
    FAIL() << "columns naming no axis was accepted";
  } catch (const ConfigError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("bad.yaml:10:"), std::string::npos) << message;
    EXPECT_NE(message.find("'tsak' is not an axis of `grid:`"), std::string::npos) << message;
    EXPECT_NE(message.find("optimizer.lr"), std::string::npos) << message;
  }
  const auto empty_point = dir.write("p.yaml", std::string(kBase) + "grid: {task: {near: {}}}\n");
  EXPECT_THROW(load_experiment(empty_point, {}), ConfigError);
}

TEST(Experiment, KeepVariantsSelectsWrittenNamesOrRowLabelsAndNamesTheValidOnes) {
  TempDir dir;
  const auto path = dir.write("e.yaml", std::string(kBase) +
                                            "variants:\n  so: {method: {name: source_only}}\n  dann: {}\n"
                                            "grid:\n  optimizer.lr: [0.1, 0.01]\n");
  Experiment e = load_experiment(path, {});
  keep_variants(e, {"dann"});
  EXPECT_EQ(e.variants, (std::vector<std::string>{"dann optimizer.lr=0.1", "dann optimizer.lr=0.01"}));
  ASSERT_EQ(e.runs.size(), 4u);
  for (const auto& run : e.runs) EXPECT_EQ(run.method.find("name")->text(), "dann");
  Experiment one = load_experiment(path, {});
  keep_variants(one, {"so optimizer.lr=0.01"});
  EXPECT_EQ(one.runs.size(), 2u);
  Experiment bad = load_experiment(path, {});
  try {
    keep_variants(bad, {"dan"});
    FAIL() << "an unknown variant was accepted";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("'dan' is not a variant"), std::string::npos) << message;
    EXPECT_NE(message.find("so, dann"), std::string::npos) << message;
  }
}

TEST(Experiment, GridMustBeLists) {
  TempDir dir;
  const auto path = dir.write("e.yaml", std::string(kBase) + "grid: {optimizer.lr: 0.1}\n");
  EXPECT_THROW(load_experiment(path, {}), ConfigError);
}

TEST(Experiment, DataFilesNamedInTheFileMustExistBesideIt) {
  TempDir dir;
  const std::string yaml = "name: x\ndata: {source: {name: word_vectors, path: en.vec}, dictionary: {name: "
                           "bilingual_dictionary, test: test.txt}}\nmethod: procrustes\n";
  const auto path = dir.write("exp/e.yaml", yaml);
  try {
    load_experiment(path, {});
    FAIL() << "a missing .vec file was accepted";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(path + ":2:"), std::string::npos) << message;
    EXPECT_NE(message.find("data.source.path: no such file: " + dir.file("exp/en.vec")), std::string::npos) << message;
  }
  dir.write("exp/en.vec", "1 2\na 0 1\n");
  dir.write("exp/test.txt", "a b\n");
  const Experiment e = load_experiment(path, {});
  EXPECT_EQ(e.runs.at(0).data.at("source").find("path")->text(), dir.file("exp/en.vec"));
}

TEST(Experiment, EveryShippedExperimentValidates) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(testing::source_dir() + "/experiments")) {
    if (entry.path().extension() != ".yaml" || entry.path().string().find("/base/") != std::string::npos) continue;
    // Files over data a script writes first (experiments/data/): their paths exist only then;
    // DataExport.TheQuickStartFromExportedFilesReadsTheSameInputs validates them over an export.
    if (entry.path().string().find("/experiments/data/") != std::string::npos) continue;
    // Benchmark protocols read the user's copy of the benchmark; ProtocolFiles.* validate them over its layout.
    if (entry.path().string().find("/experiments/protocols/") != std::string::npos) continue;
    EXPECT_NO_THROW(load_experiment(entry.path().string(), {})) << entry.path();
  }
}

}  // namespace
}  // namespace graft
