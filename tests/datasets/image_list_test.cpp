#include "datasets/image_list.h"

#include <filesystem>
#include <sstream>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/loader.h"
#include "core/registries.h"
#include "core/runtime.h"
#include "datasets/data_tools.h"
#include "tests/datasets/data_test_util.h"
#include "tests/test_util.h"

namespace graft {
namespace {

using testing::TempDir;
using testing::error_text;
using testing::load_data;


TEST(ImageList, ReadsAnExportedSetBackInItsOrder) {
  TempDir dir;
  std::ostringstream log;
  export_dataset("uci_digits", dir.file("digits"), "image_list", data_cache_dir(), log);
  const auto original = load_data("{name: uci_digits}");
  const auto exported = load_data("{name: image_list, root: " + dir.file("digits") + ", list: " + dir.file("digits/train.txt") +
                             ", test: " + dir.file("digits/test.txt") + ", transforms: {test: [grayscale]}}");
  EXPECT_EQ(exported->num_classes, 10);
  EXPECT_EQ(exported->input_shape, (std::vector<std::int64_t>{1, 8, 8}));
  for (const char* split : {"train", "test"}) {
    std::vector<torch::Tensor> inputs, labels;
    for_each_batch(*exported, split, 500, torch::kCPU, LoaderOptions{1, 2}, [&](const Batch& b) {
      inputs.push_back(b.inputs);
      labels.push_back(b.target());
    });
    ASSERT_TRUE(torch::equal(torch::cat(labels), original->split(split).targets.at("label"))) << split;
    const auto pixels = (torch::cat(inputs) * 255).round().to(torch::kUInt8);
    // One list for both: a split without its own uses test's.
    ASSERT_TRUE(torch::equal(pixels.select(1, 0), original->split(split).inputs.select(1, 0))) << split;
  }
}

TEST(ImageList, BadLinesNameTheFileAndLine) {
  TempDir dir;
  std::filesystem::copy_file(testing::cached("sklearn", "china.jpg"), dir.file("a photo.jpg"));
  auto list = [&](const std::string& text) { return dir.write("list.txt", text); };
  auto yaml = [&](const std::string& extra = "") {
    return "{name: image_list, root: " + dir.path() + ", list: " + dir.file("list.txt") + extra + "}";
  };
  list("a photo.jpg 0\n\na photo.jpg 1\r\n");  // TLlib: the path is every field but the last
  EXPECT_EQ(load_data(yaml())->split("train").size(), 2);
  list("a photo.jpg 0\nnolabel.jpg\n");
  EXPECT_NE(error_text([&] { load_data(yaml()); }).find("list.txt:2: expected `path label`"), std::string::npos);
  list("a photo.jpg 0\na photo.jpg one\n");
  EXPECT_NE(error_text([&] { load_data(yaml()); }).find("list.txt:2: the label 'one' is not a whole number"),
            std::string::npos);
  list("a photo.jpg 0\nmissing.jpg 1\n");
  const auto missing = error_text([&] { load_data(yaml()); });
  EXPECT_NE(missing.find("list.txt:2: no image"), std::string::npos) << missing;
  EXPECT_NE(missing.find("missing.jpg"), std::string::npos) << missing;
  EXPECT_EQ(load_data(yaml(", skip_unreadable: true, transforms: {train: [{name: resize, size: [8, 8]}]}"))
                ->split("train")
                .size(),
            2);
  list("a photo.jpg 0\na photo.jpg 5\n");
  const auto range = error_text([&] { load_data(yaml(", classes: [cat, dog]")); });
  EXPECT_NE(range.find("label 5"), std::string::npos) << range;
  EXPECT_NE(range.find("2 classes are named"), std::string::npos) << range;
}

}  // namespace
}  // namespace graft
