#include "core/sealed_file.h"

#include <zlib.h>

#include <array>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

#include "core/config.h"
#include "core/error.h"

namespace graft {
namespace {

constexpr std::array<char, 8> kMagic{'G', 'R', 'A', 'F', 'T', 'S', 'F', '1'};
constexpr std::size_t kHeaderBytes = 24;  // magic, u64 length, u32 CRC-32, 4 zero bytes

std::uint32_t crc_of(const char* data, std::size_t size) {
  return static_cast<std::uint32_t>(crc32_z(crc32_z(0, nullptr, 0), reinterpret_cast<const Bytef*>(data), size));
}

void put_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::uint64_t get_le(const std::string& in, std::size_t at, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= std::uint64_t(static_cast<unsigned char>(in[at + i])) << (8 * i);
  return value;
}

}  // namespace

void write_sealed_file(const std::string& path, const std::string& content) {
  std::string file(kMagic.begin(), kMagic.end());
  put_le(file, content.size(), 8);
  put_le(file, crc_of(content.data(), content.size()), 4);
  put_le(file, 0, 4);
  file += content;
  write_file_atomically(path, file);
}

std::optional<std::string> read_sealed_file(const std::string& path, const std::string& what) {
  std::string file = read_file(path);
  if (file.size() < kMagic.size() || std::memcmp(file.data(), kMagic.data(), kMagic.size()) != 0)
    return std::nullopt;
  const auto damaged = [&](const std::string& why) {
    return Error(fmt::format("{}: damaged {} ({}); delete it", path, what, why));
  };
  if (file.size() < kHeaderBytes) throw damaged("its header is cut short");
  const std::uint64_t length = get_le(file, 8, 8);
  if (length != file.size() - kHeaderBytes)
    throw damaged(fmt::format("its header promises {} bytes after it, the file has {}", length,
                              file.size() - kHeaderBytes));
  const auto crc = static_cast<std::uint32_t>(get_le(file, 16, 4));
  if (crc != crc_of(file.data() + kHeaderBytes, length)) throw damaged("its CRC-32 does not match its content");
  file.erase(0, kHeaderBytes);
  return file;
}

}  // namespace graft
