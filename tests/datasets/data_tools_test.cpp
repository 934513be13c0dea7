#include "datasets/data_tools.h"

#include <filesystem>
#include <sstream>

#include <gtest/gtest.h>

#include "core/error.h"
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
