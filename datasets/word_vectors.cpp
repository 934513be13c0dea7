#include "datasets/word_vectors.h"

#include <cerrno>
#include <cstdint>
#include <vector>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <string_view>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include "core/config.h"
#include "core/error.h"

namespace fs = std::filesystem;

namespace graft {

std::int64_t WordVectors::find(const std::string& word) const {
  auto it = index.find(word);
  return it == index.end() ? -1 : it->second;
}

namespace {

/// Reads a file line by line through one large buffer; lines are views into
/// it, valid until the next call. Faster than std::getline on large files and
/// without a copy per line.
class LineReader {
 public:
  explicit LineReader(const std::string& path) : path_(path), file_(std::fopen(path.c_str(), "rb")) {
    if (!file_) throw Error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
    // 4 MiB blocks, but no larger than the file: a small dictionary should not
    // cost a 4 MiB zero-filled buffer (the buffer grows for longer lines).
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    buffer_.resize(ec ? std::size_t{1} << 22 : std::clamp<std::size_t>(size + 1, 4096, std::size_t{1} << 22));
  }
  ~LineReader() {
    if (file_) std::fclose(file_);
  }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  /// The next line without its '\n' (and '\r'); false at the end.
  bool next(std::string_view& line) {
    while (true) {
      const char* begin = buffer_.data() + start_;
      const char* end = buffer_.data() + filled_;
      const char* newline = static_cast<const char*>(std::memchr(begin, '\n', end - begin));
      if (newline || (eof_ && begin < end)) {
        const char* line_end = newline ? newline : end;
        start_ = (newline ? newline + 1 : end) - buffer_.data();
        if (line_end > begin && line_end[-1] == '\r') --line_end;
        line = std::string_view(begin, line_end - begin);
        ++line_number_;
        return true;
      }
      if (eof_) return false;
      // Move the partial line to the front and read more; grow for very long lines.
      const std::size_t partial = filled_ - start_;
      std::memmove(buffer_.data(), buffer_.data() + start_, partial);
      start_ = 0;
      filled_ = partial;
      if (filled_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
      const std::size_t got = std::fread(buffer_.data() + filled_, 1, buffer_.size() - filled_, file_);
      filled_ += got;
      if (got == 0) eof_ = true;
    }
  }
  std::int64_t line_number() const { return line_number_; }

  /// Every complete line now in the buffer (reading more when there is none),
  /// as views valid until the next call; false at the end. Lets a caller hand
  /// a block of lines to several threads.
  bool next_block(std::vector<std::string_view>& lines) {
    lines.clear();
    std::string_view line;
    if (!next(line)) return false;
    lines.push_back(line);
    // Only lines that end inside the buffer: next() would refill it, moving
    // the bytes the views above point into.
    while (std::memchr(buffer_.data() + start_, '\n', filled_ - start_) || (eof_ && start_ < filled_)) {
      next(line);
      lines.push_back(line);
    }
    return true;
  }

 private:
  std::string path_;
  std::FILE* file_;
  std::vector<char> buffer_;
  std::size_t start_ = 0, filled_ = 0;
  bool eof_ = false;
  std::int64_t line_number_ = 0;
};

/// Splits on runs of spaces/tabs.
template <class F>
void for_each_field(std::string_view line, F&& f) {
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i == line.size()) break;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    f(line.substr(i, j - i));
    i = j;
  }
}

void write_atomically(const std::string& path, const std::function<void(std::FILE*)>& write) {
  if (fs::path(path).has_parent_path()) fs::create_directories(fs::path(path).parent_path());
  const std::string tmp = temporary_sibling(path);
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw Error(fmt::format("{}: cannot write: {}", tmp, std::strerror(errno)));
  write(f);
  const bool ok = std::fflush(f) == 0 && !std::ferror(f);
  std::fclose(f);
  if (!ok) {
    fs::remove(tmp);
    throw Error(fmt::format("{}: write failed (disk full?)", path));
  }
  fs::rename(tmp, path);
}

}  // namespace

namespace {

/// The end of the field that starts at p: the next space, tab or `end`.
const char* field_end(const char* p, const char* end) {
  while (p < end && *p != ' ' && *p != '\t') ++p;
  return p;
}

/// Parses the number that starts at p and ends at the next space, tab or
/// `end`: where it ends, or nullptr when the field is not a number. A decimal
/// mantissa up to 2^24 and a power of ten up to 10^10 are both exact floats,
/// so one IEEE multiply or divide rounds the value correctly (Clinger's fast
/// path, in single precision): the float std::from_chars gives, in one pass
/// over the digits. Other fields (more digits, larger exponents, "nan",
/// malformed) go to from_chars itself.
const char* parse_number(const char* p, const char* end, float& out) {
  static constexpr float kPow10[] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};
  const char* const begin = p;
  const bool negative = p < end && *p == '-';
  if (negative) ++p;
  std::uint64_t mantissa = 0;
  int digits = 0, exponent = 0;
  for (; p < end && static_cast<unsigned>(*p - '0') < 10; ++p, ++digits) mantissa = mantissa * 10 + (*p - '0');
  if (p < end && *p == '.')
    for (++p; p < end && static_cast<unsigned>(*p - '0') < 10; ++p, ++digits, --exponent)
      mantissa = mantissa * 10 + (*p - '0');
  bool fast = digits > 0 && digits <= 18;  // 18 digits cannot overflow the mantissa
  if (fast && p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    const bool negative_exponent = p < end && *p == '-';
    if (p < end && (*p == '-' || *p == '+')) ++p;
    int value = 0, exponent_digits = 0;
    for (; p < end && static_cast<unsigned>(*p - '0') < 10 && exponent_digits < 4; ++p, ++exponent_digits)
      value = value * 10 + (*p - '0');
    fast = exponent_digits > 0;
    exponent += negative_exponent ? -value : value;
  }
  const bool at_field_end = p == end || *p == ' ' || *p == '\t';
  if (fast && at_field_end && mantissa <= (1u << 24) && exponent >= -10 && exponent <= 10) {
    const float magnitude = exponent < 0 ? static_cast<float>(mantissa) / kPow10[-exponent]
                                         : static_cast<float>(mantissa) * kPow10[exponent];
    out = negative ? -magnitude : magnitude;
    return p;
  }
  const char* const stop = field_end(p, end);
  const auto [parsed_to, ec] = std::from_chars(begin, stop, out);
  return ec == std::errc() && parsed_to == stop ? stop : nullptr;
}

}  // namespace

bool parse_vec_float(std::string_view token, float& out) {
  const char* end = token.data() + token.size();
  return parse_number(token.data(), end, out) == end;
}

WordVectors read_vec(const std::string& path, std::int64_t max_words) {
  if (!fs::exists(path))
    throw DataMissing(fmt::format("{}: no such word-vector file. Train vectors with `graft data fetch` "
                                  "(see `graft data list`) or name your own .vec file",
                                  path));
  LineReader reader(path);
  std::string_view line;
  if (!reader.next(line)) throw Error(fmt::format("{}:1: empty file; a .vec file starts with a line 'N D'", path));
  std::int64_t header[2] = {0, 0};
  int fields = 0;
  bool header_ok = true;
  for_each_field(line, [&](std::string_view field) {
    if (fields < 2) {
      auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), header[fields]);
      header_ok = header_ok && ec == std::errc() && end == field.data() + field.size();
    }
    ++fields;
  });
  if (fields != 2 || !header_ok || header[0] <= 0 || header[1] <= 0)
    throw Error(fmt::format("{}:1: bad header '{}'; a .vec file starts with 'N D' (words, dimensions)", path,
                            std::string(line.substr(0, 80))));
  const std::int64_t total = header[0], dim = header[1];
  const std::int64_t wanted = max_words > 0 ? std::min(max_words, total) : total;
  // Every value takes at least two bytes ("0 "): a header that promises more
  // than the file can hold is refused before the matrix is allocated.
  const auto file_bytes = static_cast<std::int64_t>(fs::file_size(path));
  if (dim > file_bytes / 2 || wanted > file_bytes / (2 * dim))
    throw Error(fmt::format("{}:1: the header promises {} words of {} dimensions, more than a file of {} bytes can "
                            "hold (every value takes at least 2 bytes); the header or the file is wrong",
                            path, total, dim, file_bytes));

  WordVectors out;
  out.matrix = torch::empty({wanted, dim}, torch::kFloat32);
  out.words.reserve(wanted);
  out.index.reserve(wanted * 2);
  float* data = out.matrix.data_ptr<float>();

  // Blocks of lines are parsed in parallel into a staging buffer, then taken
  // in file order by one thread: words, duplicates, the first error and the
  // max_words cut stay exactly as a sequential reader's. Parsing dominates
  // (one float per ~7 bytes); the words and the index are cheap.
  enum class LineStatus : std::uint8_t { kOk, kEmpty, kNoWord, kBadNumber, kNotFinite, kWrongCount };
  struct ParsedLine {
    LineStatus status = LineStatus::kOk;
    std::int64_t values = 0;
    std::string_view bad;  // the first token that is not a number
  };
  std::vector<std::string_view> lines;
  std::vector<ParsedLine> parsed;
  std::vector<float> staging;
  std::int64_t rows = 0, duplicates = 0;
  std::string first_duplicate;
  std::int64_t next_line_number = reader.line_number() + 1;
  while (rows < wanted && reader.next_block(lines)) {
    const auto n = static_cast<std::int64_t>(lines.size());
    parsed.assign(n, ParsedLine{});
    staging.resize(static_cast<std::size_t>(n * dim));
    at::parallel_for(0, n, 64, [&](std::int64_t first, std::int64_t last) {
      for (std::int64_t i = first; i < last; ++i) {
        const std::string_view line = lines[i];
        ParsedLine& result = parsed[i];
        if (line.empty()) {
          result.status = LineStatus::kEmpty;
          continue;
        }
        // The word is everything before the first space; fastText never
        // writes spaces inside words, and a tab-separated file is not a .vec file.
        const std::size_t space = line.find(' ');
        if (space == std::string_view::npos || space == 0) {
          result.status = LineStatus::kNoWord;
          continue;
        }
        float* row = staging.data() + i * dim;
        const char* const end = line.data() + line.size();
        for (const char* p = line.data() + space + 1;;) {
          while (p < end && (*p == ' ' || *p == '\t')) ++p;
          if (p == end) break;
          const char* next = result.values < dim ? parse_number(p, end, row[result.values]) : field_end(p, end);
          if (!next) {
            next = field_end(p, end);
            if (result.status == LineStatus::kOk) {
              result.status = LineStatus::kBadNumber;
              result.bad = std::string_view(p, next - p);
            }
          } else if (result.values < dim && !std::isfinite(row[result.values]) && result.status == LineStatus::kOk) {
            // "nan" and "inf" parse as floats; a map through them is NaN everywhere.
            result.status = LineStatus::kNotFinite;
            result.bad = std::string_view(p, next - p);
          }
          ++result.values;
          p = next;
        }
        if (result.status == LineStatus::kOk && result.values != dim) result.status = LineStatus::kWrongCount;
      }
    });
    for (std::int64_t i = 0; i < n && rows < wanted; ++i) {
      const ParsedLine& result = parsed[i];
      const std::int64_t line_number = next_line_number + i;
      if (result.status == LineStatus::kEmpty) continue;
      const std::string_view line = lines[i];
      if (result.status == LineStatus::kNoWord)
        throw Error(fmt::format("{}:{}: expected 'word v1 ... v{}', got '{}'", path, line_number, dim,
                                std::string(line.substr(0, 60))));
      std::string word(line.substr(0, line.find(' ')));
      if (result.status == LineStatus::kBadNumber)
        throw Error(fmt::format("{}:{}: word '{}': '{}' is not a number", path, line_number, word,
                                std::string(result.bad.substr(0, 30))));
      if (result.status == LineStatus::kNotFinite)
        throw Error(fmt::format("{}:{}: word '{}': '{}' is not a finite number", path, line_number, word,
                                std::string(result.bad.substr(0, 30))));
      if (result.status == LineStatus::kWrongCount)
        throw Error(fmt::format("{}:{}: word '{}' has {} values, the header says {}", path, line_number, word,
                                result.values, dim));
      if (!out.index.emplace(word, rows).second) {
        if (duplicates++ == 0) first_duplicate = fmt::format("'{}' at line {}", word, line_number);
        continue;  // keep the first vector, as MUSE does
      }
      std::memcpy(data + rows * dim, staging.data() + i * dim, sizeof(float) * dim);
      out.words.push_back(std::move(word));
      ++rows;
    }
    next_line_number += n;
  }
  if (rows < wanted && rows + duplicates < wanted)
    throw Error(fmt::format("{}: the header promises {} words but the file ends after {} (truncated?)", path, total,
                            rows + duplicates));
  if (duplicates > 0)
    std::fprintf(stderr, "%s: %lld duplicate word(s), the first %s; kept the first vector of each, as MUSE does\n",
                 path.c_str(), static_cast<long long>(duplicates), first_duplicate.c_str());
  if (rows < wanted) out.matrix = out.matrix.narrow(0, 0, rows).clone();
  return out;
}

void write_vec(const std::string& path, const WordVectors& vectors) {
  const auto matrix = vectors.matrix.to(torch::kFloat32).contiguous();
  const float* data = matrix.data_ptr<float>();
  const std::int64_t n = vectors.size(), dim = vectors.dim();
  write_atomically(path, [&](std::FILE* f) {
    std::fprintf(f, "%lld %lld\n", static_cast<long long>(n), static_cast<long long>(dim));
    char number[32];
    for (std::int64_t i = 0; i < n; ++i) {
      std::fputs(vectors.words[i].c_str(), f);
      for (std::int64_t d = 0; d < dim; ++d) {
        auto [end, ec] = std::to_chars(number, number + sizeof number, data[i * dim + d]);
        std::fputc(' ', f);
        std::fwrite(number, 1, end - number, f);
      }
      std::fputc('\n', f);
    }
  });
}

WordPairs read_muse_dictionary(const std::string& path) {
  if (!fs::exists(path))
    throw DataMissing(fmt::format("{}: no such dictionary file (MUSE format: 'source target' per line)", path));
  LineReader reader(path);
  std::string_view line;
  WordPairs pairs;
  while (reader.next(line)) {
    std::vector<std::string_view> fields;
    for_each_field(line, [&](std::string_view f) { fields.push_back(f); });
    if (fields.empty()) continue;
    if (fields.size() != 2)
      throw Error(fmt::format("{}:{}: expected 'source_word target_word', got {} field(s): '{}'", path,
                              reader.line_number(), fields.size(), std::string(line.substr(0, 60))));
    pairs.emplace_back(std::string(fields[0]), std::string(fields[1]));
  }
  if (pairs.empty())
    throw Error(fmt::format("{}: no word pairs; a MUSE dictionary has one 'source_word target_word' per line", path));
  return pairs;
}

void write_muse_dictionary(const std::string& path, const WordPairs& pairs) {
  write_atomically(path, [&](std::FILE* f) {
    for (const auto& [s, t] : pairs) std::fprintf(f, "%s %s\n", s.c_str(), t.c_str());
  });
}

}  // namespace graft
