#include "core/options.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace graft {

void config_fail_at(const SourceMark& mark, const std::string& path, const std::string& message) {
  throw ConfigError(fmt::format("{}: {}: {}", mark.str(), path.empty() ? "<top level>" : path, message));
}

void config_fail(const ConfigNode& node, const std::string& path, const std::string& message) {
  config_fail_at(node.mark(), path, message);
}

namespace {
const std::string& scalar_text(const ConfigNode& node, const std::string& path, const char* what) {
  if (!node.is_scalar())
    config_fail(node, path, fmt::format("expected {}, got a {}", what,
                                        node.is_map() ? "map" : node.is_sequence() ? "list" : "null value"));
  return node.text();
}
}  // namespace

bool parse_bool(const ConfigNode& node, const std::string& path) {
  const std::string& t = scalar_text(node, path, "true or false");
  if (t == "true" || t == "True" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "False" || t == "no" || t == "off") return false;
  config_fail(node, path, fmt::format("expected true or false, got '{}'", t));
}

std::int64_t parse_int(const ConfigNode& node, const std::string& path) {
  const std::string& t = scalar_text(node, path, "an integer");
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(t.c_str(), &end, 10);
  if (t.empty() || *end != '\0' || errno == ERANGE)
    config_fail(node, path, fmt::format("expected an integer, got '{}'", t));
  return v;
}

double parse_double(const ConfigNode& node, const std::string& path) {
  const std::string& t = scalar_text(node, path, "a number");
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (t.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v))
    config_fail(node, path, fmt::format("expected a finite number, got '{}'", t));
  return v;
}

std::string parse_string(const ConfigNode& node, const std::string& path) {
  return scalar_text(node, path, "a string");
}

std::string resolve_path_option(const std::string& text, const ConfigNode& node, const std::string& key_path,
                                PathKind kind, const std::string& under) {
  namespace fs = std::filesystem;
  const SourceMark& mark = node.mark();
  const bool from_working_dir = mark.paths_resolved || mark.file.empty() || mark.from_command_line();
  // A resolved config (a run's config.yaml, or options dumped after parsing:
  // nodes without a file) holds paths as they were resolved.
  const bool read_under = !under.empty() && !mark.paths_resolved && !mark.file.empty();
  const fs::path base = read_under         ? fs::path(under)
                        : from_working_dir ? fs::path()
                                           : fs::path(mark.file).parent_path();
  const fs::path written(text);
  const std::string resolved =
      written.is_absolute() || base.empty() ? text : (base / written).lexically_normal().string();
  const char* what = kind == PathKind::file ? "file" : kind == PathKind::folder ? "folder" : "file or folder";
  std::error_code ec;
  const fs::file_status status = fs::status(resolved, ec);
  if (!fs::exists(status)) {
    std::string message = fmt::format("no such {}: {}", what, resolved);
    if (read_under) {
      message += fmt::format(" (a relative path is read under {})", under);
    } else if (!base.empty()) {
      message += fmt::format(" (a relative path is read from the folder of the file that names it, {})", base.string());
      // Earlier graft read paths from the working directory: say how to write
      // an old experiment's path the new way.
      std::error_code error;
      if (!written.is_absolute() && fs::exists(written, error))
        message += fmt::format("; '{}' exists from the working directory: write it as {}", text,
                               fs::relative(fs::absolute(written), fs::absolute(base), error).string());
    }
    throw MissingPathError(fmt::format("{}: {}: {}", node.mark().str(), key_path, message));
  }
  if (kind == PathKind::file_or_folder) kind = fs::is_directory(status) ? PathKind::folder : PathKind::file;
  if (kind == PathKind::file) {
    if (fs::is_directory(status)) config_fail(node, key_path, fmt::format("{} is a folder; a file is expected", resolved));
    if (!fs::is_regular_file(status))
      config_fail(node, key_path,
                  fmt::format("{} is not a regular file (a device, FIFO or socket); a file is expected", resolved));
    if (!std::ifstream(resolved).is_open())
      config_fail(node, key_path, fmt::format("{} cannot be read (check its permissions)", resolved));
  } else {
    if (!fs::is_directory(status)) config_fail(node, key_path, fmt::format("{} is not a folder", resolved));
    fs::directory_iterator(resolved, ec);
    if (ec) config_fail(node, key_path, fmt::format("{} cannot be read: {}", resolved, ec.message()));
  }
  return resolved;
}

std::string format_double(double value) {
  // Shortest text that reads back to the same double.
  for (int precision = 6; precision <= 17; ++precision) {
    std::string text = fmt::format("{:.{}g}", value, precision);
    if (std::strtod(text.c_str(), nullptr) == value) return text;
  }
  return fmt::format("{:.17g}", value);
}

}  // namespace graft
