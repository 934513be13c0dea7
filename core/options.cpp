#include "core/options.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

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

std::string format_double(double value) {
  // Shortest text that reads back to the same double.
  for (int precision = 6; precision <= 17; ++precision) {
    std::string text = fmt::format("{:.{}g}", value, precision);
    if (std::strtod(text.c_str(), nullptr) == value) return text;
  }
  return fmt::format("{:.17g}", value);
}

}  // namespace graft
