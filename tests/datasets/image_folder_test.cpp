#include "datasets/image_folder.h"

#include <filesystem>
#include <fstream>
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
namespace fs = std::filesystem;


/// Every input of a split, decoded without transforms, and its labels.
std::pair<torch::Tensor, torch::Tensor> read_all(const DataSet& d, const std::string& split) {
  std::vector<torch::Tensor> inputs, labels;
  for_each_batch(d, split, 256, torch::kCPU, LoaderOptions{2, 2}, [&](const Batch& b) {
    inputs.push_back(b.inputs);
    labels.push_back(b.target());
  });
  return {torch::cat(inputs), torch::cat(labels)};
}

TEST(ImageFolder, ReadsAnExportedSetBackPixelForPixel) {
  TempDir dir;
  std::ostringstream log;
  export_dataset("uci_digits", dir.file("digits"), "image_folder", data_cache_dir(), log);
  const auto original = load_data("{name: uci_digits}");
  const auto exported = load_data("{name: image_folder, root: " + dir.file("digits/train") + ", val: " +
                             dir.file("digits/val") + ", test: " + dir.file("digits/test") + "}");
  EXPECT_EQ(exported->num_classes, 10);
  EXPECT_EQ(exported->class_names, (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}));
  EXPECT_EQ(exported->input_shape, (std::vector<std::int64_t>{3, 8, 8}));  // grey PNGs come back as RGB
  for (const char* split : {"train", "val", "test"}) {
    const auto& images = original->split(split).inputs;
    const auto& labels = original->split(split).targets.at("label");
    // Sorted folders: class by class, each in the original order (zero-padded names).
    const auto order = std::get<1>(torch::sort(labels * images.size(0) + torch::arange(images.size(0)), 0));
    const auto [inputs, read_labels] = read_all(*exported, split);
    ASSERT_TRUE(torch::equal(read_labels, labels.index_select(0, order))) << split;
    const auto pixels = (inputs.select(1, 0) * 255).round().to(torch::kUInt8);
    ASSERT_TRUE(torch::equal(pixels, images.index_select(0, order).select(1, 0))) << split;
  }
}

TEST(ImageFolder, DomainBedLayoutAndHeldOutFractions) {
  TempDir dir;
  std::ostringstream log;
  export_dataset("uci_digits", dir.file("digits"), "image_folder", data_cache_dir(), log);
  // root/<domain>/<class>: the exported splits stand in for domains.
  const auto a = load_data("{name: image_folder, root: " + dir.file("digits") + ", domain: val, holdout_fraction: 0.2}");
  EXPECT_EQ(a->split("val").size(), 60);
  EXPECT_EQ(a->split("train").size(), 240);
  const auto b = load_data("{name: image_folder, root: " + dir.file("digits") + ", domain: val, holdout_fraction: 0.2}");
  EXPECT_TRUE(torch::equal(a->split("val").targets.at("label"), b->split("val").targets.at("label")));
  const auto missing = error_text([&] { load_data("{name: image_folder, root: " + dir.file("digits") + ", domain: tset}"); });
  EXPECT_NE(missing.find("no domain folder 'tset'"), std::string::npos) << missing;
  EXPECT_NE(missing.find("test"), std::string::npos) << missing;  // the nearest choice
}

TEST(ImageFolder, ACacheDecodesEachImageOnceAtItsSize) {
  TempDir dir;
  std::ostringstream log;
  export_dataset("uci_digits", dir.file("digits"), "image_folder", data_cache_dir(), log);
  const std::string root = dir.file("digits/val");
  const auto plain = load_data("{name: image_folder, root: " + root + ", transforms: {test: [{name: resize, size: 4}]}}");
  const auto cached = load_data("{name: image_folder, root: " + root + ", cache_size: 4}");
  EXPECT_EQ(cached->input_shape, (std::vector<std::int64_t>{3, 4, 4}));
  const auto first = read_all(*cached, "train"), again = read_all(*cached, "train");
  EXPECT_TRUE(torch::equal(first.first, again.first));  // the second pass reads the cache
  // The cached copy is the resized image, rounded to whole grey levels.
  const auto direct = read_all(*plain, "train").first;
  EXPECT_LE((first.first - direct).abs().max().item<float>(), 0.5f / 255 + 1e-6f);
}

TEST(ImageFolder, BadFoldersAndFilesGetErrorsNamingThem) {
  TempDir dir;
  fs::create_directories(dir.file("set/cat"));
  fs::create_directories(dir.file("set/dog"));
  fs::copy_file(testing::cached("sklearn", "china.jpg"), dir.file("set/cat/a.JPG"));
  const auto empty = error_text([&] { load_data("{name: image_folder, root: " + dir.file("set") + "}"); });
  EXPECT_NE(empty.find("set/dog: an empty class folder"), std::string::npos) << empty;
  // A truncated photo is an error naming it, at the first batch that reads it.
  std::ifstream in(testing::cached("sklearn", "flower.jpg"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::ofstream(dir.file("set/dog/cut.jpg"), std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  const auto data = load_data("{name: image_folder, root: " + dir.file("set") +
                         ", transforms: {train: [{name: resize, size: [32, 32]}]}}");
  EXPECT_EQ(data->class_names, (std::vector<std::string>{"cat", "dog"}));
  const auto cut = error_text([&] { read_all(*data, "train"); });
  EXPECT_NE(cut.find("cut.jpg: not a readable JPEG"), std::string::npos) << cut;
  // Photos of different sizes without a resize cannot share a batch.
  fs::remove(dir.file("set/dog/cut.jpg"));
  fs::copy_file(testing::cached("sklearn", "flower.jpg"), dir.file("set/dog/b.jpg"));
  fs::copy_file(testing::cached("skimage", "coffee.png"), dir.file("set/dog/c.png"));
  const auto unsized = load_data("{name: image_folder, root: " + dir.file("set") + "}");
  const auto sizes = error_text([&] { read_all(*unsized, "train"); });
  EXPECT_NE(sizes.find("a batch needs one size"), std::string::npos) << sizes;
  const auto loose = error_text([&] { load_data("{name: image_folder, root: " + dir.file("set/cat") + "}"); });
  EXPECT_NE(loose.find("no class folders (1 images lie directly in it)"), std::string::npos) << loose;
  const auto root = error_text([&] { load_data("{name: image_folder, root: " + dir.file("nowhere") + "}"); });
  EXPECT_NE(root.find("nowhere"), std::string::npos) << root;
}

TEST(ImageFolder, JpegRegionsDecodeAsTheWholePhotoCroppedAndResized) {
  // The DCT-scaled, cropped decode against the full decode cropped and
  // resized with the same kernel: the same picture up to the scaling's rounding.
  TempDir dir;
  fs::create_directories(dir.file("set/photo"));
  fs::copy_file(testing::cached("sklearn", "china.jpg"), dir.file("set/photo/china.jpg"));
  const auto fast = load_data("{name: image_folder, root: " + dir.file("set") +
                         ", transforms: {train: [{name: resize, size: 100}, {name: center_crop, size: 64}]}}");
  const auto whole = read_all(*load_data("{name: image_folder, root: " + dir.file("set") + "}"), "train").first[0];
  ImagePlan plan = ImagePlan::whole(whole.size(2), whole.size(1));
  plan.resize(149, 100);  // a 640 x 427 photo, its shorter side to 100
  plan.crop(42, 18, 64, 64);  // centred: round(42.5) = 42, as Python rounds
  const auto box = whole.slice(1, static_cast<std::int64_t>(plan.y0), static_cast<std::int64_t>(std::ceil(plan.y1)))
                       .slice(2, static_cast<std::int64_t>(plan.x0), static_cast<std::int64_t>(std::ceil(plan.x1)));
  const auto expected = finish_plan(box, plan);
  const auto got = read_all(*fast, "train").first[0];
  EXPECT_EQ(got.sizes(), expected.sizes());
  EXPECT_LT((got - expected).abs().mean().item<float>(), 0.03f);  // of 1: under 8 grey levels on average
}

}  // namespace
}  // namespace graft
