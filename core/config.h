#pragma once
// The configuration tree. Experiment files are YAML; graft converts them into
// ConfigNode trees that remember, for every value, the file, line and column it
// came from, so that an error found after `_base_` merging and command-line
// overrides still points at the line the user has to edit.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace graft {

/// Where a value was written: a file position or a command-line override.
struct SourceMark {
  std::string file;  ///< path as given, or "command line 'key=value'" (an override)
  int line = 0;      ///< 1-based; 0 when unknown
  int column = 0;    ///< 1-based; 0 when unknown
  /// True in a saved run config (load_run_config): its paths were resolved
  /// when the run was made, so they are not read from its folder again.
  bool paths_resolved = false;
  std::string str() const;  ///< "file:line:column"
  /// Written on the command line (an override): its paths are read from the working directory.
  bool from_command_line() const { return file.rfind("command line", 0) == 0; }
};

/// A YAML-like value: null, scalar (kept as its text), sequence or ordered map.
class ConfigNode {
 public:
  enum class Kind { null, scalar, sequence, map };
  struct Entry;

  ConfigNode() = default;
  static ConfigNode scalar(std::string text, SourceMark mark = {});
  static ConfigNode map(SourceMark mark = {});
  static ConfigNode sequence(SourceMark mark = {});

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::null; }
  bool is_scalar() const { return kind_ == Kind::scalar; }
  bool is_map() const { return kind_ == Kind::map; }
  bool is_sequence() const { return kind_ == Kind::sequence; }
  const SourceMark& mark() const { return mark_; }
  void set_mark(SourceMark mark) { mark_ = std::move(mark); }

  const std::string& text() const { return text_; }  ///< scalar text
  const std::vector<ConfigNode>& items() const { return items_; }
  std::vector<ConfigNode>& items() { return items_; }
  const std::vector<Entry>& entries() const { return entries_; }
  std::vector<Entry>& entries() { return entries_; }

  /// Map lookup; nullptr when absent (or when this is not a map).
  const ConfigNode* find(const std::string& key) const;
  ConfigNode* find(const std::string& key);
  /// Inserts or replaces a map entry (turns a null node into a map).
  ConfigNode& set(const std::string& key, ConfigNode value, SourceMark key_mark = {});
  bool erase(const std::string& key);
  void push_back(ConfigNode value);
  std::vector<std::string> keys() const;

  /// Deep merge: maps merge key by key, anything else replaces. Below the
  /// document root, a map that names a different component (`name:` differs)
  /// replaces the base map whole, because the base's options belong to another
  /// component. Pass `document_root` when merging whole files or variants,
  /// where `name:` is the experiment's name.
  void merge_from(const ConfigNode& overlay, bool document_root = false);

  /// Block-style YAML, keys in insertion order.
  std::string to_yaml() const;
  /// Stable hash (FNV-1a, hex) of a fixed text form of the config (to_yaml's
  /// layout as it was when the first runs were recorded); tells whether a
  /// saved run was made from the same resolved config.
  std::string hash() const;

 private:
  Kind kind_ = Kind::null;
  std::string text_;
  std::vector<ConfigNode> items_;
  std::vector<Entry> entries_;
  SourceMark mark_;
};

struct ConfigNode::Entry {
  std::string key;
  SourceMark key_mark;
  ConfigNode value;
};

/// Loads a YAML file, resolving `_base_: path` or `_base_: [paths]` (relative
/// to the including file, merged in order, then the file itself on top).
ConfigNode load_config_file(const std::string& path);

/// Loads the config.yaml a run saved. Its paths were resolved against the
/// experiment file when the run was made, and stay as they are.
ConfigNode load_run_config(const std::string& path);

/// Parses YAML text (used for overrides and tests); `origin` names it in errors.
ConfigNode parse_config_text(const std::string& text, const std::string& origin);

/// Applies `a.b.c=value` (value parsed as YAML) to `root`.
void apply_override(ConfigNode& root, const std::string& assignment);

/// Sets the value at a dotted path, creating maps on the way.
void set_path(ConfigNode& root, const std::string& dotted_path, ConfigNode value);

/// A temporary name beside `path` (same folder, so a rename is atomic) that no
/// other writer shares: "<path>.tmp.<pid>.<n>". Two processes writing one file
/// at once (a sweep's --jobs children writing experiment.yaml) each rename a
/// whole file of their own instead of one renaming the other's away.
std::string temporary_sibling(const std::string& path);

/// Writes `content` to `path` through a temporary file and a rename, so that a
/// crash never leaves a half-written file under the final name.
void write_file_atomically(const std::string& path, const std::string& content);

/// The whole content of a file; throws graft::Error naming it when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace graft
