// The benchmark protocol files (experiments/protocols/): each expands over
// its benchmark's layout into every task x method x seed, a missing data set
// says which it is and where it is published, and TLlib's Office-31 file
// trains end to end on a stand-in in Office-31's layout.

#include <cstdlib>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/experiment.h"
#include "core/process.h"
#include "core/run_record.h"
#include "core/sweep.h"
#include "datasets/image_formats.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;

namespace graft {
namespace {

using testing::TempDir;

/// experiments/protocols/ copied to <dir>/experiments/protocols/, so that its
/// relative data paths (../../data/...) land in <dir>/data/.
std::string copy_protocols(const TempDir& dir) {
  const std::string to = dir.file("experiments/protocols");
  fs::create_directories(to);
  fs::copy(testing::source_dir() + "/experiments/protocols", to, fs::copy_options::recursive);
  return to;
}

std::vector<std::string> protocol_files(const std::string& folder) {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.path().extension() == ".yaml") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

TEST(ProtocolFiles, AMissingDataSetSaysWhichItIsAndWhereItIsPublished) {
  TempDir dir;
  const auto files = protocol_files(copy_protocols(dir));
  ASSERT_EQ(files.size(), 7u);
  for (const auto& file : files) {
    try {
      load_experiment(file, {});
      ADD_FAILURE() << file << " loaded without its data";
    } catch (const ConfigError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("root: no such folder: " + dir.path() + "/data/"), std::string::npos) << message;
      EXPECT_NE(message.find("This is "), std::string::npos) << message;
      EXPECT_NE(message.find("https://"), std::string::npos) << message;
    }
  }
}

TEST(ProtocolFiles, EveryTaskMethodAndSeedExpandsOverItsBenchmarksLayout) {
  TempDir dir;
  const std::string protocols = copy_protocols(dir);
  // Only what the files name must exist to load them; the images are read when a run starts.
  dir.write("data/weights/resnet50.pth", "weights");
  for (const char* list : {"amazon", "dslr", "webcam"}) dir.write(std::string("data/office31/image_list/") + list + ".txt", "");
  for (const char* list : {"Art", "Clipart", "Product", "Real_World"})
    dir.write(std::string("data/office-home/image_list/") + list + ".txt", "");
  for (const char* list : {"train_15", "train_30", "train_50", "train_100", "test"})
    dir.write(std::string("data/cub200/image_list/") + list + ".txt", "");
  for (const char* set : {"PACS", "VLCS", "office_home", "terra_incognita"})
    fs::create_directories(dir.file(std::string("data/domainbed/") + set));

  // file -> (runs, columns): tasks x methods x 3 seeds.
  const std::map<std::string, std::pair<std::size_t, std::size_t>> expected{
      {"tllib_office31", {6 * 6 * 3, 6}},  {"tllib_office_home", {12 * 6 * 3, 12}}, {"tllib_cub200", {4 * 2 * 3, 4}},
      {"domainbed_pacs", {4 * 3, 4}},      {"domainbed_vlcs", {4 * 3, 4}},          {"domainbed_office_home", {4 * 3, 4}},
      {"domainbed_terra_incognita", {4 * 3, 4}}};
  for (const auto& file : protocol_files(protocols)) {
    const std::string name = fs::path(file).stem().string();
    SCOPED_TRACE(file);
    const Experiment e = load_experiment(file, {});
    ASSERT_TRUE(expected.count(name));
    EXPECT_EQ(e.runs.size(), expected.at(name).first);
    EXPECT_EQ(e.columns.points.size(), expected.at(name).second);
    for (const auto& run : e.runs) {
      EXPECT_EQ(run.model.find("name")->text(), "resnet50");
      EXPECT_EQ(run.model.find("weights")->text(), dir.file("data/weights/resnet50.pth"));
    }
  }

  // The pinned values that differ per method and benchmark (TLlib's .sh lines).
  const Experiment office31 = load_experiment(protocols + "/tllib_office31.yaml", {});
  const Experiment office_home = load_experiment(protocols + "/tllib_office_home.yaml", {});
  std::map<std::string, const RunConfig*> first;
  for (const auto& run : office31.runs) first.emplace(run.variant.substr(0, run.variant.find(' ')), &run);
  EXPECT_EQ(first.at("source_only")->steps, 2500);
  EXPECT_EQ(first.at("dann")->steps, 20000);
  EXPECT_EQ(first.at("dann")->method.find("gamma")->text(), "20");
  EXPECT_EQ(first.at("dann")->schedule.find("alpha")->text(), "20");
  EXPECT_EQ(first.at("dan")->optimizer.find("lr")->text(), "0.003");
  EXPECT_EQ(first.at("mcc")->batch_size, 36);
  EXPECT_EQ(first.at("mcc")->method.find("bottleneck")->text(), "1024");
  EXPECT_EQ(first.at("dann")->data.at("source").find("list")->text(), dir.file("data/office31/image_list/amazon.txt"));
  EXPECT_EQ(first.at("dann")->data.at("target").find("list")->text(), dir.file("data/office31/image_list/webcam.txt"));
  for (const auto& run : office_home.runs) {
    if (run.variant.rfind("dann ", 0) == 0) {
      EXPECT_EQ(run.steps, 30000);
    }
    if (run.variant.rfind("mcc ", 0) == 0) {
      EXPECT_EQ(run.method.find("bottleneck")->text(), "2048");
    }
  }

  // DomainBed: the test environment is never among the training ones.
  const Experiment pacs = load_experiment(protocols + "/domainbed_pacs.yaml", {});
  for (const auto& run : pacs.runs) {
    const std::string test_env = run.data.at("target").find("domain")->text();
    std::size_t parts = 0;
    for (const auto& part : run.data.at("source").find("parts")->entries()) {
      EXPECT_NE(part.value.find("domain")->text(), test_env) << run.variant;
      ++parts;
    }
    EXPECT_EQ(parts, 3u) << run.variant;
  }
}

/// A tiny Office-31 layout: three domains of ten classes, two 20-px colour images each.
void write_office31_standin(const TempDir& dir) {
  torch::manual_seed(0);
  for (const char* domain : {"amazon", "dslr", "webcam"}) {
    std::string list;
    for (int label = 0; label < 10; ++label)
      for (int i = 0; i < 2; ++i) {
        const std::string path = fmt::format("{}/images/{}/{}.png", domain, label, i);
        fs::create_directories(fs::path(dir.file("data/office31_standin/" + path)).parent_path());
        write_png(dir.file("data/office31_standin/" + path), torch::randint(0, 256, {3, 20, 20}).to(torch::kUInt8));
        list += fmt::format("{} {}\n", path, label);
      }
    dir.write(std::string("data/office31_standin/image_list/") + domain + ".txt", list);
  }
}

TEST(ProtocolFiles, Office31RunsEndToEndOnAStandInAndTheRecordNamesItsWeights) {
  TempDir dir;
  const std::string protocols = copy_protocols(dir);
  write_office31_standin(dir);
  // Weights in torchvision's format (a random-init resnet18 from python3-torchvision), converted as documented.
  const std::string weights = dir.file("resnet18.pth");
  const std::string command =
      "/usr/bin/python3 -c \"import torch, torchvision; torch.manual_seed(0); torch.save(torchvision.models.resnet18()"
      ".state_dict(), '" + dir.file("tv.pth") + "')\" && /usr/bin/python3 " + testing::source_dir() +
      "/third_party/torchvision_weights.py " + dir.file("tv.pth") + " " + weights + " >/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << "needs Debian's python3-torchvision";

  std::vector<std::string> overrides{"output=" + dir.file("out"), "model.weights=" + weights, "eval_batch_size=16"};
  for (const char* variant : {"source_only", "dann"})
    for (const std::string setting : {"steps=2", "eval_every=2", "checkpoint_every=0"})
      overrides.push_back(fmt::format("variants.{}.{}", variant, setting));
  Experiment e = load_experiment(protocols + "/standins/office31_standin.yaml", overrides);
  keep_variants(e, {"source_only task=A2W", "dann task=A2W"});
  ASSERT_EQ(e.runs.size(), 2u);
  SweepOptions quiet;
  quiet.progress = false;
  const SweepResult result = run_experiment(e, quiet);
  EXPECT_EQ(result.failed, 0);
  EXPECT_EQ(result.trained, 2);
  for (const auto& run : e.runs) {
    const RunRecord record = read_run_record(e.output_dir + "/runs/" + run.run_id + "/run.h5");
    EXPECT_EQ(record.status, "finished") << record.message;
    EXPECT_EQ(record.model, "resnet18");
    EXPECT_EQ(record.weights, weights);
    EXPECT_EQ(record.weights_sha256, sha256_of_file(weights));
    EXPECT_TRUE(record.final_metrics.count("target.test_acc"));  // the whole target list (test_all)
    EXPECT_EQ(record.classes.at("target").size(), 10u);
  }
  // The table TLlib users read: methods x tasks and the mean (here one task of six has runs).
  const auto tables = column_tables(result.summary);
  ASSERT_FALSE(tables.empty());
  EXPECT_EQ(tables[0][0].size(), 1u + 6u + 1u);
  EXPECT_EQ(tables[0].size(), 3u);  // header, source_only, dann
}

}  // namespace
}  // namespace graft
