// The .vec reader and writer and the MUSE dictionary reader, on good files
// and on every kind of malformed one.

#include "datasets/word_vectors.h"

#include <gtest/gtest.h>

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
  EXPECT_FALSE(std::filesystem::exists(dir.file("out.vec.tmp")));
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
}

}  // namespace
}  // namespace graft::testing
