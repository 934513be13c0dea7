#include "datasets/npy.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <limits>
#include <map>
#include <memory>

#include <zip.h>

#include <fmt/format.h>

#include "core/config.h"
#include "core/error.h"

namespace graft {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicBytes = 6;

/// numpy's type characters and sizes graft reads, with the dtype name each
/// becomes and its size there (uint16/uint32 are widened).
struct Kind {
  const char* name;
  std::size_t stored;  ///< bytes per element in the file
  std::size_t size;    ///< bytes per element in NpyArray
};
const std::map<std::string, Kind>& kinds() {
  static const std::map<std::string, Kind> table{
      {"b1", {"bool", 1, 1}},    {"u1", {"uint8", 1, 1}},     {"i1", {"int8", 1, 1}},
      {"i2", {"int16", 2, 2}},   {"u2", {"int32", 2, 4}},     {"i4", {"int32", 4, 4}},
      {"u4", {"int64", 4, 8}},   {"i8", {"int64", 8, 8}},     {"f2", {"float16", 2, 2}},
      {"f4", {"float32", 4, 4}}, {"f8", {"float64", 8, 8}}};
  return table;
}

/// The header's dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& origin) : text_(text), origin_(origin) {}

  void parse(std::string& descr, bool& fortran, std::vector<std::int64_t>& shape) {
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = quoted();
      expect(':');
      if (key == "descr") {
        skip_space();
        if (peek() != '\'' && peek() != '"')
          fail("'descr' is not a plain type string (a structured dtype); graft reads arrays of one number type");
        descr = quoted();
        have_descr = true;
      } else if (key == "fortran_order") {
        fortran = boolean();
        have_order = true;
      } else if (key == "shape") {
        shape = tuple();
        have_shape = true;
      } else {
        fail(fmt::format("unknown header key '{}' (expected descr, fortran_order, shape)", key));
      }
      skip_space();
      if (peek() == ',') ++at_;
    }
    if (!have_descr || !have_order || !have_shape)
      fail("the header lacks one of descr, fortran_order, shape");
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw Error(fmt::format("{}: not a .npy file numpy writes: {}", origin_, why));
  }
  void skip_space() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
  }
  char peek() {
    skip_space();
    if (at_ >= text_.size()) fail("the header ends early");
    return text_[at_];
  }
  void expect(char c) {
    if (peek() != c) fail(fmt::format("expected '{}' at header byte {}", c, at_));
    ++at_;
  }
  std::string quoted() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail(fmt::format("expected a quoted key or value at header byte {}", at_));
    const auto end = text_.find(quote, ++at_);
    if (end == std::string::npos) fail("an unclosed quote in the header");
    std::string value = text_.substr(at_, end - at_);
    at_ = end + 1;
    return value;
  }
  bool boolean() {
    skip_space();
    for (const auto& [word, value] : {std::pair<const char*, bool>{"True", true}, {"False", false}})
      if (text_.compare(at_, std::strlen(word), word) == 0) {
        at_ += std::strlen(word);
        return value;
      }
    fail("fortran_order is neither True nor False");
  }
  std::vector<std::int64_t> tuple() {
    expect('(');
    std::vector<std::int64_t> values;
    while (true) {
      if (peek() == ')') {
        ++at_;
        return values;
      }
      if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("a shape entry is not a whole number");
      std::int64_t value = 0;
      while (at_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[at_]))) {
        if (value > (std::numeric_limits<std::int64_t>::max() - 9) / 10) fail("a shape entry is too large");
        value = value * 10 + (text_[at_++] - '0');
      }
      if (at_ < text_.size() && text_[at_] == 'L') ++at_;  // Python 2's long literals
      values.push_back(value);
      if (peek() == ',') ++at_;
      else if (peek() != ')') fail("expected ',' or ')' in the shape");
    }
  }

  const std::string& text_;
  const std::string& origin_;
  std::size_t at_ = 0;
};

}  // namespace

std::size_t NpyArray::element_size() const {
  for (const auto& [code, kind] : kinds())
    if (dtype == kind.name) return kind.size;
  return 0;
}

std::int64_t NpyArray::count() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

NpyArray parse_npy(const std::string& bytes, const std::string& origin) {
  if (bytes.size() < kMagicBytes + 4 || std::memcmp(bytes.data(), kMagic, kMagicBytes) != 0)
    throw Error(fmt::format("{}: not a .npy file (no \\x93NUMPY magic)", origin));
  const int major = static_cast<unsigned char>(bytes[6]);
  if (major < 1 || major > 3)
    throw Error(fmt::format("{}: .npy format version {}.{}; graft reads 1.0 to 3.0", origin, major,
                            static_cast<unsigned char>(bytes[7])));
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + length_bytes) throw Error(fmt::format("{}: the .npy header is cut short", origin));
  std::size_t header_length = 0;
  for (std::size_t i = 0; i < length_bytes; ++i)
    header_length |= std::size_t(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
  const std::size_t data_start = 8 + length_bytes + header_length;
  if (data_start > bytes.size())
    throw Error(fmt::format("{}: the header promises {} bytes, the file has {}", origin, header_length,
                            bytes.size() - 8 - length_bytes));
  const std::string header = bytes.substr(8 + length_bytes, header_length);

  std::string descr;
  bool fortran = false;
  NpyArray array;
  HeaderParser(header, origin).parse(descr, fortran, array.shape);
  if (descr.size() != 3 || (descr[0] != '<' && descr[0] != '>' && descr[0] != '|' && descr[0] != '='))
    throw Error(fmt::format("{}: dtype '{}' is not one graft reads; valid: bool, (u)int8, int16, uint16, int32, "
                            "uint32, int64, float16, float32, float64 (object and structured arrays are refused)",
                            origin, descr));
  const auto kind = kinds().find(descr.substr(1));
  if (kind == kinds().end())
    throw Error(fmt::format("{}: dtype '{}' is not one graft reads; valid: bool, (u)int8, int16, uint16, int32, "
                            "uint32, int64, float16, float32, float64 (object and structured arrays are refused)",
                            origin, descr));
  array.dtype = kind->second.name;

  // Element count, checked for overflow before anything is allocated.
  std::size_t count = 1, stored = 0, unused = 0;
  for (auto d : array.shape)
    if (__builtin_mul_overflow(count, static_cast<std::size_t>(d), &count))
      throw Error(fmt::format("{}: shape ({}) holds more elements than any file", origin, fmt::join(array.shape, ", ")));
  if (__builtin_mul_overflow(count, kind->second.stored, &stored) ||
      __builtin_mul_overflow(count, kind->second.size, &unused))
    throw Error(fmt::format("{}: shape ({}) holds more elements than any file", origin, fmt::join(array.shape, ", ")));
  if (bytes.size() - data_start != stored)
    throw Error(fmt::format("{}: shape ({}) of {} needs {} bytes of data, the file holds {} (truncated or damaged)",
                            origin, fmt::join(array.shape, ", "), descr, stored, bytes.size() - data_start));

  // Little-endian elements in C order, widened where the type is.
  const bool big_endian = descr[0] == '>';
  const std::size_t in_size = kind->second.stored, out_size = kind->second.size;
  array.data.assign(count * out_size, 0);
  const auto* source = reinterpret_cast<const unsigned char*>(bytes.data() + data_start);
  // Fortran order: element (i0, i1, ..., ik) sits at the reversed strides.
  std::vector<std::size_t> fortran_strides(array.shape.size(), 1);
  for (std::size_t d = 1; d < array.shape.size(); ++d)
    fortran_strides[d] = fortran_strides[d - 1] * static_cast<std::size_t>(array.shape[d - 1]);
  std::vector<std::int64_t> index(array.shape.size(), 0);
  for (std::size_t c = 0; c < count; ++c) {
    std::size_t from = c;
    if (fortran) {
      from = 0;
      for (std::size_t d = 0; d < index.size(); ++d) from += static_cast<std::size_t>(index[d]) * fortran_strides[d];
      for (std::size_t d = index.size(); d-- > 0;) {  // advance the C-order index
        if (++index[d] < array.shape[d]) break;
        index[d] = 0;
      }
    }
    const unsigned char* element = source + from * in_size;
    unsigned char* out = array.data.data() + c * out_size;
    for (std::size_t b = 0; b < in_size; ++b) out[b] = element[big_endian ? in_size - 1 - b : b];
  }
  if (array.dtype == "bool")
    for (auto& b : array.data)
      if (b > 1) throw Error(fmt::format("{}: a bool element holds {}, not 0 or 1", origin, int(b)));
  return array;
}

NpyArray read_npy(const std::string& path) { return parse_npy(read_file(path), path); }

std::map<std::string, NpyArray> read_npz(const std::string& path) {
  int code = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (!archive) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    const std::string why = zip_error_strerror(&error);
    zip_error_fini(&error);
    throw Error(fmt::format("{}: not a readable .npz (zip) archive: {}", path, why));
  }
  // Closed on every way out; nothing is written, so zip_discard.
  std::unique_ptr<zip_t, void (*)(zip_t*)> owner(archive, [](zip_t* a) { zip_discard(a); });
  std::map<std::string, NpyArray> arrays;
  const zip_int64_t entries = zip_get_num_entries(archive, 0);
  for (zip_int64_t i = 0; i < entries; ++i) {
    zip_stat_t stat;
    if (zip_stat_index(archive, static_cast<zip_uint64_t>(i), 0, &stat) != 0)
      throw Error(fmt::format("{}: member {} cannot be read: {}", path, i, zip_strerror(archive)));
    const std::string member = stat.name ? stat.name : "";
    const std::string origin = path + ":" + member;
    if (member.size() < 4 || member.compare(member.size() - 4, 4, ".npy") != 0)
      throw Error(fmt::format("{}: not a .npy member; a .npz file holds only .npy files", origin));
    // Deflate expands at most about 1032:1; a larger stated size is a bomb.
    if (stat.size > 1100 * stat.comp_size + (1 << 20))
      throw Error(fmt::format("{}: states {} bytes from {} compressed ones, more than deflate can hold", origin,
                              stat.size, stat.comp_size));
    zip_file_t* file = zip_fopen_index(archive, static_cast<zip_uint64_t>(i), 0);
    if (!file) throw Error(fmt::format("{}: cannot be opened: {}", origin, zip_strerror(archive)));
    std::string bytes(stat.size, '\0');
    const zip_int64_t got = zip_fread(file, bytes.data(), stat.size);
    const std::string why = got < 0 ? zip_file_strerror(file) : "";
    zip_fclose(file);
    if (got < 0 || static_cast<zip_uint64_t>(got) != stat.size)
      throw Error(fmt::format("{}: damaged ({})", origin, got < 0 ? why : "shorter than its stated size"));
    arrays[member.substr(0, member.size() - 4)] = parse_npy(bytes, origin);
  }
  if (arrays.empty()) throw Error(fmt::format("{}: an empty .npz archive", path));
  return arrays;
}

}  // namespace graft
