#include "core/config.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/error.h"

namespace fs = std::filesystem;

namespace graft {

std::string SourceMark::str() const {
  if (line <= 0) return file.empty() ? "<unknown>" : file;
  return fmt::format("{}:{}:{}", file, line, column);
}

ConfigNode ConfigNode::scalar(std::string text, SourceMark mark) {
  ConfigNode node;
  node.kind_ = Kind::scalar;
  node.text_ = std::move(text);
  node.mark_ = std::move(mark);
  return node;
}

ConfigNode ConfigNode::map(SourceMark mark) {
  ConfigNode node;
  node.kind_ = Kind::map;
  node.mark_ = std::move(mark);
  return node;
}

ConfigNode ConfigNode::sequence(SourceMark mark) {
  ConfigNode node;
  node.kind_ = Kind::sequence;
  node.mark_ = std::move(mark);
  return node;
}

const ConfigNode* ConfigNode::find(const std::string& key) const {
  if (kind_ != Kind::map) return nullptr;
  for (const auto& entry : entries_)
    if (entry.key == key) return &entry.value;
  return nullptr;
}

ConfigNode* ConfigNode::find(const std::string& key) {
  return const_cast<ConfigNode*>(static_cast<const ConfigNode*>(this)->find(key));
}

ConfigNode& ConfigNode::set(const std::string& key, ConfigNode value, SourceMark key_mark) {
  if (kind_ == Kind::null) kind_ = Kind::map;
  if (kind_ != Kind::map)
    throw ConfigError(fmt::format("{}: cannot set key '{}' on a value that is not a map", mark_.str(), key));
  for (auto& entry : entries_) {
    if (entry.key == key) {
      entry.value = std::move(value);
      if (key_mark.line > 0) entry.key_mark = key_mark;
      return entry.value;
    }
  }
  if (key_mark.line == 0 && key_mark.file.empty()) key_mark = value.mark();
  entries_.push_back({key, std::move(key_mark), std::move(value)});
  return entries_.back().value;
}

bool ConfigNode::erase(const std::string& key) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->key == key) {
      entries_.erase(it);
      return true;
    }
  }
  return false;
}

void ConfigNode::push_back(ConfigNode value) {
  if (kind_ == Kind::null) kind_ = Kind::sequence;
  items_.push_back(std::move(value));
}

std::vector<std::string> ConfigNode::keys() const {
  std::vector<std::string> out;
  for (const auto& entry : entries_) out.push_back(entry.key);
  return out;
}

void ConfigNode::merge_from(const ConfigNode& overlay, bool document_root) {
  if (overlay.is_map() && is_map()) {
    const ConfigNode* new_name = overlay.find("name");
    const ConfigNode* old_name = find("name");
    if (!document_root && new_name && old_name && new_name->is_scalar() && old_name->is_scalar() &&
        new_name->text() != old_name->text()) {
      *this = overlay;
      return;
    }
    for (const auto& entry : overlay.entries_) {
      ConfigNode* existing = find(entry.key);
      if (existing)
        existing->merge_from(entry.value);
      else
        entries_.push_back(entry);
    }
    return;
  }
  *this = overlay;
}

namespace {

bool needs_quotes(const std::string& text) {
  if (text.empty()) return true;
  // Strings that YAML would read as something else, or that carry syntax.
  static const std::string special = ":#{}[],&*!|>'\"%@`";
  if (text.find_first_of(special) != std::string::npos) return true;
  if (text.front() == ' ' || text.back() == ' ' || text.front() == '-' || text.front() == '?') return true;
  return false;
}

std::string quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

/// How a map inside a list is laid out. `identity` is the text run
/// identities hash: it put one space too many after the dash when the map had
/// more than one key, which YAML cannot read back, but every finished run's
/// record holds that hash, so it stays as it was (a fix would redo them all).
enum class Layout { yaml, identity };

void emit(const ConfigNode& node, int indent, std::ostringstream& out, Layout layout) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  switch (node.kind()) {
    case ConfigNode::Kind::null:
      out << " null\n";
      break;
    case ConfigNode::Kind::scalar:
      out << ' ' << (needs_quotes(node.text()) ? quote(node.text()) : node.text()) << '\n';
      break;
    case ConfigNode::Kind::sequence: {
      bool flat = true;
      for (const auto& item : node.items()) flat = flat && item.is_scalar();
      if (flat) {
        out << " [";
        for (std::size_t i = 0; i < node.items().size(); ++i) {
          const auto& t = node.items()[i].text();
          out << (i ? ", " : "") << (needs_quotes(t) ? quote(t) : t);
        }
        out << "]\n";
        break;
      }
      out << '\n';
      for (const auto& item : node.items()) {
        out << pad << "-";
        if (item.is_map() && !item.entries().empty()) {
          // First key on the dash line, the rest aligned under it.
          std::ostringstream inner;
          emit(item, indent + 2, inner, layout);
          const std::string text = inner.str();  // "\n" + pad + "key: ..."
          const std::size_t first_key = static_cast<std::size_t>(indent + 2) + (layout == Layout::yaml ? 1 : 0);
          out << ' ' << text.substr(first_key);
        } else {
          emit(item, indent + 2, out, layout);
        }
      }
      break;
    }
    case ConfigNode::Kind::map:
      if (node.entries().empty()) {
        out << " {}\n";
        break;
      }
      if (indent >= 0) out << '\n';
      for (const auto& entry : node.entries()) {
        out << pad << entry.key << ':';
        emit(entry.value, indent + 2, out, layout);
      }
      break;
  }
}

}  // namespace

namespace {

std::string emit_document(const ConfigNode& root, Layout layout) {
  std::ostringstream out;
  if (root.is_map()) {
    for (const auto& entry : root.entries()) {
      out << entry.key << ':';
      emit(entry.value, 2, out, layout);
    }
  } else {
    emit(root, 0, out, layout);
  }
  return out.str();
}

}  // namespace

std::string ConfigNode::to_yaml() const { return emit_document(*this, Layout::yaml); }

std::string ConfigNode::hash() const {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : emit_document(*this, Layout::identity)) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

namespace {

// Limits on what an experiment file may be, as policy rather than accident:
// a 1 KB "billion laughs" file once expanded its aliases for 36 s and 9.4 GB,
// and /dev/zero as a file read until memory ran out. Real experiment files
// are a few KB, nest a handful of levels and hold hundreds of values.
constexpr std::uintmax_t kMaxConfigBytes = 1 << 20;  // 1 MiB per file
constexpr int kMaxConfigDepth = 64;                  // nested maps and lists
constexpr std::size_t kMaxConfigValues = 100000;     // after alias expansion

/// Where converting one document stands against the limits.
struct ConvertBudget {
  std::string file;
  std::size_t values = 0;
};

ConfigNode convert(const YAML::Node& node, ConvertBudget& budget, int depth = 0) {
  const std::string& file = budget.file;
  const YAML::Mark m = node.Mark();
  SourceMark mark{file, m.line + 1, m.column + 1};
  if (depth > kMaxConfigDepth)
    throw ConfigError(fmt::format("{}: nested more than {} levels deep; an experiment file needs a handful",
                                  mark.str(), kMaxConfigDepth));
  if (++budget.values > kMaxConfigValues)
    throw ConfigError(fmt::format("{}: more than {} values once its aliases (*name) are expanded; an experiment "
                                  "file needs hundreds (aliases that refer to aliases multiply)",
                                  file, kMaxConfigValues));
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return [&] {
        ConfigNode n;
        n.set_mark(mark);
        return n;
      }();
    case YAML::NodeType::Scalar:
      return ConfigNode::scalar(node.Scalar(), mark);
    case YAML::NodeType::Sequence: {
      ConfigNode seq = ConfigNode::sequence(mark);
      for (const auto& item : node) seq.push_back(convert(item, budget, depth + 1));
      return seq;
    }
    case YAML::NodeType::Map: {
      ConfigNode map = ConfigNode::map(mark);
      std::set<std::string> seen;
      for (const auto& kv : node) {
        const std::string key = kv.first.as<std::string>();
        const YAML::Mark km = kv.first.Mark();
        SourceMark key_mark{file, km.line + 1, km.column + 1};
        if (!seen.insert(key).second)
          throw ConfigError(fmt::format("{}: key '{}' appears twice in the same map", key_mark.str(), key));
        ConfigNode value = convert(kv.second, budget, depth + 1);
        if (value.is_null() && value.mark().line == 0) value.set_mark(key_mark);
        map.set(key, std::move(value), key_mark);
      }
      return map;
    }
  }
  return {};
}

/// The line of `text` at which a quoted scalar opened at (line, column),
/// both 1-based, is closed; 0 when it is not a quoted scalar.
int closing_line_of_quote(const std::string& text, int line, int column) {
  std::size_t at = 0;
  for (int l = 1; l < line; ++l) {
    at = text.find('\n', at);
    if (at == std::string::npos) return 0;
    ++at;
  }
  at += static_cast<std::size_t>(column - 1);
  if (at >= text.size() || (text[at] != '"' && text[at] != '\'')) return 0;
  const char quote = text[at];
  int closing = line;
  for (std::size_t i = at + 1; i < text.size(); ++i) {
    if (text[i] == '\n') ++closing;
    else if (quote == '"' && text[i] == '\\') ++i;  // an escaped character
    else if (text[i] == quote) {
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') ++i;  // '' inside single quotes
      else return closing;
    }
  }
  return closing;
}

/// YAML lets a quoted value run over several lines; in an experiment file
/// that is a missing closing quote: `name: "x` followed by `seeds: [0]` once
/// validated as the name `x seeds: [0] ` with the seeds key gone.
void refuse_multiline_quotes(const ConfigNode& node, const std::string& text) {
  if (node.is_map() || node.is_sequence()) {
    if (node.is_map())
      for (const auto& entry : node.entries()) refuse_multiline_quotes(entry.value, text);
    else
      for (const auto& item : node.items()) refuse_multiline_quotes(item, text);
    return;
  }
  if (!node.is_scalar() || node.mark().line == 0) return;
  const int closing = closing_line_of_quote(text, node.mark().line, node.mark().column);
  if (closing > node.mark().line)
    throw ConfigError(fmt::format("{}: this quoted value runs on to line {}: is its closing quote missing?",
                                  node.mark().str(), closing));
}

ConfigNode parse_yaml(const std::string& text, const std::string& origin) {
  try {
    ConvertBudget budget{origin};
    ConfigNode root = convert(YAML::Load(text), budget);
    refuse_multiline_quotes(root, text);
    return root;
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("{}:{}:{}: YAML syntax error: {}", origin, e.mark.line + 1, e.mark.column + 1,
                                  e.msg));
  }
}

/// The text of an experiment file: a regular file within kMaxConfigBytes.
std::string read_config_text(const fs::path& path) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (error || !fs::exists(status))
    throw ConfigError(fmt::format("{}: cannot open experiment file (does it exist?)", path.string()));
  if (!fs::is_regular_file(status))
    throw ConfigError(fmt::format("{}: not a regular file (a folder, a pipe or a device); an experiment file is a "
                                  "YAML file",
                                  path.string()));
  const auto size = fs::file_size(path, error);
  if (!error && size > kMaxConfigBytes)
    throw ConfigError(fmt::format("{}: {} bytes; an experiment file may have at most {} (1 MiB)", path.string(), size,
                                  kMaxConfigBytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("{}: cannot read experiment file: {}", path.string(), std::strerror(errno)));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

ConfigNode load_with_bases(const fs::path& path, std::vector<fs::path>& stack) {
  ConfigNode node = parse_yaml(read_config_text(path), path.string());
  if (!node.is_map())
    throw ConfigError(fmt::format("{}: an experiment file must be a YAML map of keys", node.mark().str()));

  const ConfigNode* base = node.find("_base_");
  if (!base) return node;

  std::vector<const ConfigNode*> base_paths;
  if (base->is_scalar())
    base_paths.push_back(base);
  else if (base->is_sequence())
    for (const auto& item : base->items()) base_paths.push_back(&item);
  else
    throw ConfigError(fmt::format("{}: _base_: expected a path or a list of paths", base->mark().str()));

  ConfigNode merged = ConfigNode::map(node.mark());
  for (const ConfigNode* entry : base_paths) {
    if (!entry->is_scalar())
      throw ConfigError(fmt::format("{}: _base_: each entry must be a file path", entry->mark().str()));
    // Loaded under the user's spelling (messages, and path options read from
    // its folder keep a run's identity where the checkout lives); compared
    // canonically to find cycles.
    const fs::path base_path = (path.parent_path() / entry->text()).lexically_normal();
    // error_code overloads throughout: a name too long for the file system
    // once escaped as std::filesystem_error and ended graft (fuzz_experiment).
    std::error_code error;
    const fs::path canonical = fs::weakly_canonical(base_path, error);
    if (error)
      throw ConfigError(fmt::format("{}: _base_: '{}' cannot be opened: {}", entry->mark().str(), base_path.string(),
                                    error.message()));
    for (const auto& open : stack)
      if (open == canonical)
        throw ConfigError(fmt::format("{}: _base_: '{}' includes itself (cycle)", entry->mark().str(),
                                      entry->text()));
    if (entry->text().empty())
      throw ConfigError(fmt::format("{}: _base_: an empty path; name a YAML file (relative to {})", entry->mark().str(),
                                    path.parent_path().string()));
    const fs::file_status status = fs::status(base_path, error);
    if (!fs::exists(status))
      throw ConfigError(fmt::format("{}: _base_: file '{}' not found (paths are relative to {})",
                                    entry->mark().str(), base_path.string(), path.parent_path().string()));
    if (!fs::is_regular_file(status))
      throw ConfigError(fmt::format("{}: _base_: '{}' is not a regular file (a folder, a pipe or a device); name a "
                                    "YAML file",
                                    entry->mark().str(), base_path.string()));
    stack.push_back(canonical);
    merged.merge_from(load_with_bases(base_path, stack), /*document_root=*/true);
    stack.pop_back();
  }
  node.erase("_base_");
  merged.merge_from(node, /*document_root=*/true);
  return merged;
}

}  // namespace

ConfigNode load_config_file(const std::string& path) {
  std::error_code error;
  std::vector<fs::path> stack{fs::weakly_canonical(path, error)};
  if (error) throw ConfigError(fmt::format("{}: cannot open experiment file: {}", path, error.message()));
  // The user's spelling of the top file is kept in messages.
  return load_with_bases(fs::path(path), stack);
}

namespace {
void mark_paths_resolved(ConfigNode& node) {
  SourceMark mark = node.mark();
  mark.paths_resolved = true;
  node.set_mark(mark);
  for (auto& item : node.items()) mark_paths_resolved(item);
  for (auto& entry : node.entries()) mark_paths_resolved(entry.value);
}
}  // namespace

ConfigNode load_run_config(const std::string& path) {
  ConfigNode root = load_config_file(path);
  mark_paths_resolved(root);
  return root;
}

ConfigNode parse_config_text(const std::string& text, const std::string& origin) {
  return parse_yaml(text, origin);
}

void set_path(ConfigNode& root, const std::string& dotted_path, ConfigNode value) {
  ConfigNode* node = &root;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = dotted_path.find('.', start);
    const std::string key = dotted_path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (key.empty())
      throw ConfigError(fmt::format("{}: empty key in path '{}'", value.mark().str(), dotted_path));
    if (dot == std::string::npos) {
      ConfigNode* existing = node->find(key);
      if (existing && existing->is_map() && value.is_map())
        existing->merge_from(value);
      else
        node->set(key, std::move(value));
      return;
    }
    ConfigNode* next = node->find(key);
    if (!next) next = &node->set(key, ConfigNode::map(value.mark()));
    if (next->is_scalar()) {
      // `optimizer: sgd` refined by `optimizer.lr=0.1`: a scalar where a map
      // is needed is a component's name.
      ConfigNode component = ConfigNode::map(next->mark());
      component.set("name", *next);
      *next = std::move(component);
    }
    if (!next->is_map() && !next->is_null())
      throw ConfigError(fmt::format("{}: '{}' is not a map, so '{}' cannot be set inside it", value.mark().str(),
                                    dotted_path.substr(0, dot), dotted_path));
    node = next;
    start = dot + 1;
  }
}

void apply_override(ConfigNode& root, const std::string& assignment) {
  const std::size_t eq = assignment.find('=');
  const std::string origin = fmt::format("command line '{}'", assignment);
  if (eq == std::string::npos || eq == 0)
    throw ConfigError(fmt::format("{}: an override must look like key.path=value", origin));
  const std::string key = assignment.substr(0, eq);
  ConfigNode value = parse_yaml(assignment.substr(eq + 1), origin);
  // Marks inside an override point at the argument, not at a line.
  std::function<void(ConfigNode&)> relabel = [&](ConfigNode& n) {
    n.set_mark({origin, 0, 0});
    for (auto& item : n.items()) relabel(item);
    for (auto& entry : n.entries()) {
      entry.key_mark = {origin, 0, 0};
      relabel(entry.value);
    }
  };
  relabel(value);
  set_path(root, key, std::move(value));
}

std::string temporary_sibling(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  return fmt::format("{}.tmp.{}.{}", path, static_cast<long>(getpid()), counter++);
}

void write_file_atomically(const std::string& path, const std::string& content) {
  const fs::path target(path);
  if (target.has_parent_path()) fs::create_directories(target.parent_path());
  const std::string temporary = temporary_sibling(path);
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(fmt::format("cannot write '{}': check that the folder is writable", temporary));
    out << content;
    out.flush();
    if (!out) throw Error(fmt::format("writing '{}' failed (disk full?)", temporary));
  }
  fs::rename(temporary, target);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot read", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace graft
