// The .vec reader and writer and the MUSE dictionary reader, on good files
// and on every kind of malformed one.

#include "datasets/word_vectors.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>

#include <fmt/format.h>

#include "core/error.h"
#include "tests/test_util.h"

namespace graft::testing {
namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(WordVectors, ReadsTheFastTextTextFormat) {
  TempDir dir;
  const auto path = dir.write("v.vec", "3 2\nthe 0.5 -1\nniño 1e-3 2.25\r\nof 3 4 \n");
  const auto v = read_vec(path);
  EXPECT_EQ(v.words, (std::vector<std::string>{"the", "niño", "of"}));
  EXPECT_EQ(v.dim(), 2);
  EXPECT_TRUE(torch::equal(v.matrix, torch::tensor({{0.5f, -1.f}, {1e-3f, 2.25f}, {3.f, 4.f}})));
  EXPECT_EQ(v.find("niño"), 1);
  EXPECT_EQ(v.find("absent"), -1);
}

TEST(WordVectors, KeepsTheFirstWordsOnlyAndTheFirstOfADuplicate) {
  TempDir dir;
  const auto path = dir.write("v.vec", "4 1\na 1\nb 2\na 3\nc 4\n");
  const auto two = read_vec(path, 2);
  EXPECT_EQ(two.words, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(two.matrix.size(0), 2);
  const auto all = read_vec(path);
  EXPECT_EQ(all.words, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_FLOAT_EQ(all.matrix[0][0].item<float>(), 1.f);
  EXPECT_FLOAT_EQ(all.matrix[2][0].item<float>(), 4.f);
}

TEST(WordVectors, RoundTripsThroughTheWriter) {
  TempDir dir;
  WordVectors v;
  v.words = {"x", "yá"};
  v.matrix = torch::tensor({{0.1f, -2.5f, 3e-7f}, {1.f / 3, 0.f, 7.f}});
  write_vec(dir.file("out.vec"), v);
  const auto back = read_vec(dir.file("out.vec"));
  EXPECT_EQ(back.words, v.words);
  EXPECT_TRUE(torch::equal(back.matrix, v.matrix));  // shortest round-trip formatting
  EXPECT_EQ(dir.files_in(), std::vector<std::string>{"out.vec"});  // no temporary left
}

TEST(WordVectors, MalformedFilesNameTheFileAndLine) {
  TempDir dir;
  auto error_for = [&](const std::string& content) {
    const auto path = dir.write("bad.vec", content);
    return message_of([&] { read_vec(path); });
  };
  EXPECT_NE(error_for("").find("bad.vec:1: empty file"), std::string::npos);
  EXPECT_NE(error_for("three 2\n").find("bad.vec:1: bad header"), std::string::npos);
  EXPECT_NE(error_for("2 3\na 1 2 3\nb 1 2\n").find("bad.vec:3: word 'b' has 2 values, the header says 3"),
            std::string::npos);
  EXPECT_NE(error_for("1 2\na 1 x2\n").find("bad.vec:2: word 'a': 'x2' is not a number"), std::string::npos);
  EXPECT_NE(error_for("3 1\na 1\nb 2\n").find("promises 3 words but the file ends after 2"), std::string::npos);
  EXPECT_NE(error_for("1 1\n 1\n").find("bad.vec:2: expected 'word v1 ... v1'"), std::string::npos);
  EXPECT_NE(message_of([&] { read_vec(dir.file("absent.vec")); }).find("absent.vec: no such"), std::string::npos);
  // Values, not only syntax: NaN and inf parse as floats and once reached
  // Procrustes as "linalg.svd ... non-finite values", naming no file.
  EXPECT_NE(error_for("2 2\na 1 2\nb nan 1\n").find("bad.vec:3: word 'b': 'nan' is not a finite number"),
            std::string::npos);
  EXPECT_NE(error_for("1 2\na -inf 1\n").find("bad.vec:2: word 'a': '-inf' is not a finite number"), std::string::npos);
  // A header claiming 999,999,999 dimensions once allocated 4 GB before
  // rejecting a 20-byte file: refused from the file's size first.
  EXPECT_NE(error_for("1 999999999\na 1 2 3\n").find("bad.vec:1: the header promises 1 words of 999999999 dimensions"),
            std::string::npos);
  EXPECT_NE(error_for("999999999 3\na 1 2 3\n").find("more than a file of"), std::string::npos);
}

// Duplicates are kept out as MUSE does, but no longer without a word.
TEST(WordVectors, DuplicateWordsAreReported) {
  TempDir dir;
  const auto path = dir.write("v.vec", "4 1\na 1\nb 2\na 3\nc 4\n");
  ::testing::internal::CaptureStderr();
  read_vec(path);
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("v.vec: 1 duplicate word(s), the first 'a' at line 4"), std::string::npos) << said;
}

TEST(WordVectors, NumbersAreExactlyWhatFromCharsGives) {
  // The fast path must agree bit for bit with std::from_chars, on what it
  // takes and on what it hands back to from_chars.
  std::vector<std::string> tokens = {"0",     "-0",     ".5",        "5.",        "-.5",      "1e",         "1e+",
                                     "+1",    "1.2.3",  "",          "-",         "nan",      "-inf",       "1e-45",
                                     "1E5",   "2e+03",  "16777216",  "16777217",  "1234567.8", "3.4028235e38", "1e39",
                                     "0.1",   "0x1p3",  "1e10",      "1e-10",     "1e11",     "99999999999999999999",
                                     "0.000000000123", "7.0e-05", "-0.00001", "1 ", "1e-5x"};
  std::mt19937 random(0);
  std::normal_distribution<float> gauss(0.f, 0.3f);
  std::uniform_int_distribution<int> digit(0, 9), length(1, 22), exponent(-40, 40);
  char text[64];
  for (int i = 0; i < 20000; ++i) {
    const float v = gauss(random) * std::pow(10.f, static_cast<float>(exponent(random) % 6));
    for (const char* format : {"%.4f", "%.5g", "%.6g", "%.9g", "%e", "%.3e"}) {
      std::snprintf(text, sizeof text, format, v);
      tokens.emplace_back(text);
    }
    std::string digits;  // long and odd-shaped decimals
    for (int d = length(random); d > 0; --d) digits += static_cast<char>('0' + digit(random));
    digits.insert(digits.begin() + static_cast<int>(random() % (digits.size() + 1)), '.');
    tokens.push_back(digits + "e" + std::to_string(exponent(random)));
    tokens.push_back("-" + digits);
  }
  for (const auto& token : tokens) {
    float fast = -123.f, reference = -123.f;
    const bool fast_ok = parse_vec_float(token, fast);
    const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), reference);
    const bool reference_ok = ec == std::errc() && end == token.data() + token.size();
    ASSERT_EQ(fast_ok, reference_ok) << "'" << token << "'";
    if (reference_ok) {
      ASSERT_EQ(std::memcmp(&fast, &reference, sizeof fast), 0) << "'" << token << "': " << fast << " vs " << reference;
    }
  }
}

TEST(WordVectors, LargeFilesReadInBlocksAsInOnePass) {
  // Larger than the reader's 4 MiB buffer: blocks are parsed in parallel, and
  // duplicates, the max_words cut and line numbers must not see the seams.
  const int saved_threads = torch::get_num_threads();
  torch::set_num_threads(2);  // CTest sets OMP_NUM_THREADS=1
  struct Restore {
    int threads;
    ~Restore() { torch::set_num_threads(threads); }
  } restore{saved_threads};
  TempDir dir;
  WordVectors v;
  const std::int64_t n = 12000, dim = 64;
  for (std::int64_t i = 0; i < n; ++i) v.words.push_back("w" + std::to_string(i));
  v.matrix = torch::randn({n, dim}, torch::TensorOptions().dtype(torch::kFloat32));
  write_vec(dir.file("big.vec"), v);
  const auto back = read_vec(dir.file("big.vec"));
  EXPECT_EQ(back.words, v.words);
  EXPECT_TRUE(torch::equal(back.matrix, v.matrix));
  EXPECT_EQ(read_vec(dir.file("big.vec"), n - 5).words.back(), "w11994");

  std::ifstream in(dir.file("big.vec"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string duplicate = "w3 " + std::string(text.substr(text.find("\nw3 ") + 4, text.find("\nw4 ") - text.find("\nw3 ") - 4)) + "\n";
  const std::string header_with_one_more = std::to_string(n + 1) + " " + std::to_string(dim);
  const auto with_duplicate = dir.write("dup.vec", header_with_one_more + text.substr(text.find('\n')) + duplicate);
  const auto read = read_vec(with_duplicate);
  EXPECT_EQ(read.size(), n);  // the repeated word at the end keeps its first vector
  EXPECT_TRUE(torch::equal(read.matrix, v.matrix));
  const auto bad = dir.write("bad.vec", header_with_one_more + text.substr(text.find('\n')) + "last 1 2\n");
  EXPECT_NE(message_of([&] { read_vec(bad); }).find(fmt::format("bad.vec:{}: word 'last' has 2 values", n + 2)),
            std::string::npos);
}

TEST(WordVectors, MuseDictionaries) {
  TempDir dir;
  const auto path = dir.write("d.txt", "casa house\n\ncasa home\nperro\tdog\n");
  EXPECT_EQ(read_muse_dictionary(path),
            (WordPairs{{"casa", "house"}, {"casa", "home"}, {"perro", "dog"}}));
  write_muse_dictionary(dir.file("copy.txt"), read_muse_dictionary(path));
  EXPECT_EQ(read_muse_dictionary(dir.file("copy.txt")).size(), 3u);
  const auto bad = dir.write("bad.txt", "casa house\nmulti word entry\n");
  EXPECT_NE(message_of([&] { read_muse_dictionary(bad); }).find("bad.txt:2: expected 'source_word target_word', got 3"),
            std::string::npos);
  // An empty test dictionary once scored nothing and exited 0.
  const auto empty = dir.write("empty.txt", "\n\n");
  EXPECT_NE(message_of([&] { read_muse_dictionary(empty); }).find("empty.txt: no word pairs"), std::string::npos);
}

}  // namespace
}  // namespace graft::testing
