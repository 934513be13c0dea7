// The cache of derived sets: a stored file is checked before it is used.
#include "datasets/image_dataset.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/sealed_file.h"
#include "tests/test_util.h"

namespace graft {
namespace {

/// Six tensors as cached_derived stores them: 4 train, no val, 2 test images.
std::vector<torch::Tensor> sound_set() {
  return {torch::zeros({4, 1, 2, 2}, torch::kUInt8), torch::tensor({0, 1, 2, 9}, torch::kInt64),
          torch::empty({0}, torch::kUInt8),          torch::empty({0}, torch::kInt64),
          torch::zeros({2, 1, 2, 2}, torch::kUInt8), torch::tensor({3, 4}, torch::kInt64)};
}

/// `tensors` as cached_derived stores them: torch's archive, sealed.
void store(const std::vector<torch::Tensor>& tensors, const std::string& path) {
  std::ostringstream archive;
  torch::save(tensors, archive);
  write_sealed_file(path, archive.str());
}

/// What cached_derived says of `tensors` stored as the cache file "d.pt".
std::string load_error(const std::vector<torch::Tensor>& tensors) {
  testing::TempDir cache;
  std::filesystem::create_directories(cache.file("derived"));
  store(tensors, cache.file("derived/d.pt"));
  bool rebuilt = false;
  try {
    cached_derived(cache.path(), "d.pt", 10, [&] {
      rebuilt = true;
      return ImageSplits{};
    });
  } catch (const Error& e) {
    EXPECT_FALSE(rebuilt);
    return e.what();
  }
  EXPECT_FALSE(rebuilt);
  return "";
}

TEST(CachedDerived, ASoundFileIsLoadedAsStored) {
  testing::TempDir cache;
  std::filesystem::create_directories(cache.file("derived"));
  store(sound_set(), cache.file("derived/d.pt"));
  const ImageSplits splits = cached_derived(cache.path(), "d.pt", 10, [] { return ImageSplits{}; });
  ASSERT_EQ(splits.size(), 2u);  // no val
  EXPECT_TRUE(torch::equal(splits.at("train").labels, sound_set()[1]));
  EXPECT_EQ(splits.at("test").images.size(0), 2);
}

// Each of these once crashed graft (more tensors than splits) or was trained
// on silently; now each names the file and says to delete it.
TEST(CachedDerived, AMalformedFileIsAnErrorNamingIt) {
  auto extra = sound_set();
  extra.push_back(torch::zeros({1}));
  extra.push_back(torch::zeros({1}));
  auto train_only = sound_set();
  train_only.resize(2);
  auto float_images = sound_set();
  float_images[0] = float_images[0].to(torch::kFloat32);
  auto flat_images = sound_set();
  flat_images[4] = torch::zeros({2, 4}, torch::kUInt8);
  auto short_labels = sound_set();
  short_labels[1] = torch::tensor({0, 1}, torch::kInt64);
  auto label_out_of_range = sound_set();
  label_out_of_range[5] = torch::tensor({3, 200}, torch::kInt64);
  auto negative_label = sound_set();
  negative_label[1] = torch::tensor({0, -1, 2, 3}, torch::kInt64);
  auto no_test = sound_set();
  no_test[4] = torch::empty({0}, torch::kUInt8);
  no_test[5] = torch::empty({0}, torch::kInt64);
  const std::vector<std::pair<std::vector<torch::Tensor>, std::string>> cases{
      {extra, "8 tensors, expected 6"},
      {train_only, "2 tensors, expected 6"},
      {float_images, "train images are Float of shape 4x1x2x2, expected uint8"},
      {flat_images, "test images are Byte of shape 2x4"},
      {short_labels, "train labels are Long of shape 2 for 4 images"},
      {label_out_of_range, "test labels range over 3..200, outside the 10 classes 0..9"},
      {negative_label, "train labels range over -1..3"},
      {no_test, "the test split is empty"}};
  for (const auto& [tensors, expected] : cases) {
    const std::string message = load_error(tensors);
    EXPECT_NE(message.find(expected), std::string::npos) << message;
    EXPECT_NE(message.find("derived/d.pt"), std::string::npos) << message;
    EXPECT_NE(message.find("delete it"), std::string::npos) << message;
  }
}

// Found by fuzz_derived_cache: a type name damaged in the archive's pickle
// makes libtorch's unpickler throw torch::jit::ErrorReport, not c10::Error;
// it escaped graft's handler and terminated the program.
TEST(CachedDerived, ADamagedArchiveIsAnErrorNamingItWhateverLibtorchThrows) {
  testing::TempDir cache;
  std::filesystem::create_directories(cache.file("derived"));
  const std::string path = cache.file("derived/d.pt");
  std::ostringstream archive;
  torch::save(sound_set(), archive);
  std::string bytes = archive.str();
  const auto type_name = bytes.find("c__torch__\nModule\n");  // the pickle's GLOBAL opcode
  ASSERT_NE(type_name, std::string::npos);
  bytes[type_name + 14] = '`';  // as the fuzzer did: "Mod`le", one byte of the class name
  write_sealed_file(path, bytes);  // sealed as damaged: the seal alone would refuse it
  try {
    cached_derived(cache.path(), "d.pt", 10, [] { return ImageSplits{}; });
    FAIL() << "a damaged archive was loaded";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(path + ": damaged derived data set; delete it"), std::string::npos) << message;
    EXPECT_EQ(message.find("Exception raised from"), std::string::npos) << message;  // no C++ backtrace
  }
}

TEST(CachedDerived, AFileDamagedOnDiskIsRefusedByItsSealAndAnUnsealedOneIsRebuilt) {
  testing::TempDir cache;
  std::filesystem::create_directories(cache.file("derived"));
  const std::string path = cache.file("derived/d.pt");
  store(sound_set(), path);
  std::string bytes = testing::read_text(path);
  bytes[bytes.size() / 2] ^= 0x10;  // one flipped bit
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  bool rebuilt = false;
  const auto make = [&] {
    rebuilt = true;
    return ImageSplits{{"train", {sound_set()[0], sound_set()[1]}}, {"test", {sound_set()[4], sound_set()[5]}}};
  };
  try {
    cached_derived(cache.path(), "d.pt", 10, make);
    FAIL() << "a damaged file was loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": damaged derived data set (its CRC-32 does not match"),
              std::string::npos) << e.what();
  }
  EXPECT_FALSE(rebuilt);
  // An earlier graft wrote the archive bare: rebuilt, and sealed this time.
  torch::save(sound_set(), path);
  EXPECT_EQ(cached_derived(cache.path(), "d.pt", 10, make).size(), 2u);
  EXPECT_TRUE(rebuilt);
  EXPECT_TRUE(read_sealed_file(path, "derived data set").has_value());
}

}  // namespace
}  // namespace graft
