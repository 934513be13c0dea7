// Sealed files: what graft writes for itself reads back byte for byte, and
// any damage is refused by name before a parser sees the content.
#include "core/sealed_file.h"

#include <fstream>

#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/test_util.h"

namespace graft {
namespace {

using testing::TempDir;

std::string error_of(const std::string& path) {
  try {
    read_sealed_file(path, "checkpoint");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(SealedFile, ContentReadsBackByteForByte) {
  TempDir dir;
  const std::string content("archive\0with\xff bytes", 19);
  write_sealed_file(dir.file("a"), content);
  EXPECT_EQ(read_sealed_file(dir.file("a"), "checkpoint"), content);
  write_sealed_file(dir.file("empty"), "");
  EXPECT_EQ(read_sealed_file(dir.file("empty"), "checkpoint"), std::string());
  EXPECT_EQ(dir.files_in(), (std::vector<std::string>{"a", "empty"}));  // no temporary left behind
}

TEST(SealedFile, AFileWithoutASealIsReportedAsSuchNotAsDamage) {
  TempDir dir;
  EXPECT_EQ(read_sealed_file(dir.write("bare.pt", "PK\3\4 a bare archive"), "checkpoint"), std::nullopt);
  EXPECT_EQ(read_sealed_file(dir.write("tiny", "G"), "checkpoint"), std::nullopt);
}

TEST(SealedFile, EveryKindOfDamageNamesTheFile) {
  TempDir dir;
  write_sealed_file(dir.file("good"), "the content of a checkpoint");
  const std::string good = testing::read_text(dir.file("good"));
  const auto damaged = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir.file(name), std::ios::binary) << bytes;
    return error_of(dir.file(name));
  };
  std::string flipped = good;
  flipped.back() ^= 0x01;
  EXPECT_NE(damaged("flipped", flipped).find(dir.file("flipped") + ": damaged checkpoint (its CRC-32 does not match"),
            std::string::npos);
  EXPECT_NE(damaged("cut", good.substr(0, good.size() - 3)).find("its header promises 27 bytes after it, the file has 24"),
            std::string::npos);
  EXPECT_NE(damaged("header", good.substr(0, 12)).find("its header is cut short"), std::string::npos);
  EXPECT_NE(damaged("longer", good + "x").find("the file has 28"), std::string::npos);
}

}  // namespace
}  // namespace graft
