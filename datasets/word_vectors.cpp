#include "datasets/word_vectors.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <functional>
#include <string_view>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include <fmt/format.h>

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
    buffer_.resize(1 << 22);
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
  const std::string tmp = path + ".tmp";
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

  WordVectors out;
  out.matrix = torch::empty({wanted, dim}, torch::kFloat32);
  out.words.reserve(wanted);
  out.index.reserve(wanted * 2);
  float* data = out.matrix.data_ptr<float>();
  std::int64_t rows = 0, duplicates = 0;
  while (rows < wanted && reader.next(line)) {
    if (line.empty()) continue;
    // The word is everything before the first space; fastText never writes
    // spaces inside words, and a tab-separated file is not a .vec file.
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0)
      throw Error(fmt::format("{}:{}: expected 'word v1 ... v{}', got '{}'", path, reader.line_number(), dim,
                              std::string(line.substr(0, 60))));
    float* row = data + rows * dim;
    std::int64_t values = 0;
    bool bad_number = false;
    std::string_view bad;
    for_each_field(line.substr(space + 1), [&](std::string_view field) {
      if (values < dim) {
        auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), row[values]);
        if (ec != std::errc() || end != field.data() + field.size()) {
          if (!bad_number) bad = field;
          bad_number = true;
        }
      }
      ++values;
    });
    const std::string word(line.substr(0, space));
    if (bad_number)
      throw Error(fmt::format("{}:{}: word '{}': '{}' is not a number", path, reader.line_number(), word,
                              std::string(bad.substr(0, 30))));
    if (values != dim)
      throw Error(fmt::format("{}:{}: word '{}' has {} values, the header says {}", path, reader.line_number(), word,
                              values, dim));
    if (!out.index.emplace(word, rows).second) {
      ++duplicates;
      continue;  // keep the first vector; the row is overwritten by the next word
    }
    out.words.push_back(word);
    ++rows;
  }
  if (rows < wanted && rows + duplicates < wanted)
    throw Error(fmt::format("{}: the header promises {} words but the file ends after {} (truncated?)", path, total,
                            rows + duplicates));
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
  return pairs;
}

void write_muse_dictionary(const std::string& path, const WordPairs& pairs) {
  write_atomically(path, [&](std::FILE* f) {
    for (const auto& [s, t] : pairs) std::fprintf(f, "%s %s\n", s.c_str(), t.c_str());
  });
}

}  // namespace graft
