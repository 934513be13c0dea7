#include "datasets/data_tools.h"

#include <filesystem>
#include <sstream>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/experiment.h"
#include "core/loader.h"
#include "core/registries.h"
#include "core/runtime.h"
#include "tests/test_util.h"

namespace graft {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

TEST(DataExport, RefusesWhatItCannotWriteAndLeavesNothingBehind) {
  TempDir dir;
  std::ostringstream log;
  EXPECT_THROW(export_dataset("uci_digits", dir.file("x"), "tfrecord", data_cache_dir(), log), Error);
  // Two moons are points, not images: nothing is left at the target or beside it.
  EXPECT_THROW(export_dataset("two_moons", dir.file("moons"), "image_folder", data_cache_dir(), log), Error);
  EXPECT_FALSE(fs::exists(dir.file("moons")));
  EXPECT_FALSE(fs::exists(dir.file("moons.partial")));
  dir.write("full/file", "x");
  EXPECT_THROW(export_dataset("uci_digits", dir.file("full"), "image_folder", data_cache_dir(), log), Error);
}

TEST(DataExport, TheQuickStartFromExportedFilesReadsTheSameInputs) {
  // experiments/data/quickstart_files.yaml over an export made here, beside
  // a copy of the quick start it inherits from.
  TempDir dir;
  fs::create_directories(dir.file("data"));
  fs::copy_file(testing::source_dir() + "/experiments/quickstart.yaml", dir.file("quickstart.yaml"));
  fs::copy_file(testing::source_dir() + "/experiments/data/quickstart_files.yaml", dir.file("data/quickstart_files.yaml"));
  std::ostringstream log;
  export_dataset("{name: mnist, channels: 3}", dir.file("data/exported/mnist"), "image_list", data_cache_dir(), log);
  export_dataset("mnist_m", dir.file("data/exported/mnist_m"), "image_list", data_cache_dir(), log);
  const Experiment files = load_experiment(dir.file("data/quickstart_files.yaml"), {});
  const Experiment builtin = load_experiment(dir.file("quickstart.yaml"), {});
  for (const char* domain : {"source", "target"}) {
    DataContext ctx{0, data_cache_dir(), domain};
    const auto from_files = dataset_registry().create(files.runs[0].data.at(domain), domain, ctx);
    const auto from_memory = dataset_registry().create(builtin.runs[0].data.at(domain), domain, ctx);
    EXPECT_EQ(from_files->input_shape, from_memory->input_shape);
    for (const char* split : {"train", "test"}) {
      std::vector<torch::Tensor> a, b;
      for_each_batch(*from_files, split, 1000, torch::kCPU, LoaderOptions{2, 2}, [&](const Batch& x) { a.push_back(x.inputs); }, 2000);
      for_each_batch(*from_memory, split, 1000, torch::kCPU, LoaderOptions{}, [&](const Batch& x) { b.push_back(x.inputs); }, 2000);
      // To the last bit: the same bytes, scaled and normalised by the same float operations.
      EXPECT_TRUE(torch::equal(torch::cat(a), torch::cat(b))) << domain << " " << split;
    }
  }
}

TEST(DataInspect, SaysWhatGraftWouldReadAndHowToNameIt) {
  TempDir dir;
  std::ostringstream log, folder, list;
  export_dataset("uci_digits", dir.file("f"), "image_folder", data_cache_dir(), log);
  export_dataset("uci_digits", dir.file("l"), "image_list", data_cache_dir(), log);
  inspect_data(dir.file("f/train"), folder);
  EXPECT_NE(folder.str().find("format: image_folder (root/<class>/<image>): 1197 images"), std::string::npos)
      << folder.str();
  EXPECT_NE(folder.str().find("classes: 10"), std::string::npos);
  EXPECT_NE(folder.str().find("width 8..8"), std::string::npos);
  inspect_data(dir.file("f"), folder);  // train/val/test folders of classes look like DomainBed's domains
  EXPECT_NE(folder.str().find("DomainBed"), std::string::npos) << folder.str();
  inspect_data(dir.file("l/train.txt"), list);
  EXPECT_NE(list.str().find("format: image_list"), std::string::npos) << list.str();
  EXPECT_NE(list.str().find("read it with: {name: image_list, root: " + dir.file("l")), std::string::npos) << list.str();
  EXPECT_THROW(inspect_data(dir.file("nothing"), list), Error);
}

}  // namespace
}  // namespace graft
