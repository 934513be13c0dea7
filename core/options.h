#pragma once
// Typed options, declared once per component and parsed from YAML in one place.
//
// A component's options are a plain struct whose default member initialisers
// are the documented defaults, plus a static `declare` that names each field:
//
//   struct DannOptions {
//     double gamma = 10.0;
//     static void declare(graft::OptionSet<DannOptions>& o) {
//       o.add("gamma", &DannOptions::gamma, "gamma of the lambda schedule").min(0.0);
//     }
//   };
//
// From that one declaration graft parses YAML (rejecting unknown keys, wrong
// types and out-of-range values with file:line:column), writes the resolved
// options back into the saved config, and prints `graft describe`.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "core/config.h"
#include "core/error.h"

namespace graft {

/// One row of `graft describe`.
struct OptionDoc {
  std::string key;
  std::string type;
  std::string default_value;
  std::string constraint;
  std::string help;
};

/// Throws a ConfigError that points at `node` and names the key path.
[[noreturn]] void config_fail(const ConfigNode& node, const std::string& path, const std::string& message);
[[noreturn]] void config_fail_at(const SourceMark& mark, const std::string& path, const std::string& message);

// ---- scalar conversions: one place that turns YAML text into C++ values ----

bool parse_bool(const ConfigNode& node, const std::string& path);
std::int64_t parse_int(const ConfigNode& node, const std::string& path);
double parse_double(const ConfigNode& node, const std::string& path);
std::string parse_string(const ConfigNode& node, const std::string& path);
std::string format_double(double value);

/// What a path option names.
enum class PathKind { file, folder, file_or_folder };

/// A path option's value as graft uses it: a relative path is read from the
/// folder of the YAML file that wrote it (as `_base_` and `plugins` are), a
/// command-line override's from the working directory. The result is that
/// folder joined with the text (so a run started from the same directory keeps
/// its identity), and it must exist as `kind` and be readable: a missing file
/// is found by `graft validate`, not an hour into a sweep.
/// `under` (when not empty) replaces that folder for relative paths: a list
/// file named relative to a data set's `root:` (TLlib's layout).
std::string resolve_path_option(const std::string& text, const ConfigNode& node, const std::string& key_path,
                                PathKind kind, const std::string& under = "");

template <class V>
struct OptionTraits;

template <>
struct OptionTraits<bool> {
  static const char* type() { return "bool"; }
  static bool parse(const ConfigNode& n, const std::string& p) { return parse_bool(n, p); }
  static ConfigNode dump(bool v) { return ConfigNode::scalar(v ? "true" : "false"); }
};
template <>
struct OptionTraits<std::int64_t> {
  static const char* type() { return "int"; }
  static std::int64_t parse(const ConfigNode& n, const std::string& p) { return parse_int(n, p); }
  static ConfigNode dump(std::int64_t v) { return ConfigNode::scalar(std::to_string(v)); }
};
template <>
struct OptionTraits<double> {
  static const char* type() { return "float"; }
  static double parse(const ConfigNode& n, const std::string& p) { return parse_double(n, p); }
  static ConfigNode dump(double v) { return ConfigNode::scalar(format_double(v)); }
};
template <>
struct OptionTraits<std::string> {
  static const char* type() { return "string"; }
  static std::string parse(const ConfigNode& n, const std::string& p) { return parse_string(n, p); }
  static ConfigNode dump(const std::string& v) { return ConfigNode::scalar(v); }
};
/// A raw subtree, for options that are themselves components or free maps.
template <>
struct OptionTraits<ConfigNode> {
  static const char* type() { return "map"; }
  static ConfigNode parse(const ConfigNode& n, const std::string&) { return n; }
  static ConfigNode dump(const ConfigNode& v) { return v; }
};
template <class E>
struct OptionTraits<std::vector<E>> {
  static std::string type() { return fmt::format("list of {}", OptionTraits<E>::type()); }
  static std::vector<E> parse(const ConfigNode& n, const std::string& p) {
    std::vector<E> out;
    if (n.is_scalar()) {  // a single value where a list is expected is a list of one
      out.push_back(OptionTraits<E>::parse(n, p));
      return out;
    }
    if (!n.is_sequence()) config_fail(n, p, fmt::format("expected a {}", type()));
    for (std::size_t i = 0; i < n.items().size(); ++i)
      out.push_back(OptionTraits<E>::parse(n.items()[i], fmt::format("{}[{}]", p, i)));
    return out;
  }
  static ConfigNode dump(const std::vector<E>& v) {
    ConfigNode seq = ConfigNode::sequence();
    for (const auto& e : v) seq.push_back(OptionTraits<E>::dump(e));
    return seq;
  }
};

/// The declared fields of one options struct T.
template <class T>
class OptionSet {
 public:
  template <class V>
  class Field;

  /// Declares `key` as stored in `member`. Returns the field for constraints.
  template <class V>
  Field<V>& add(std::string key, V T::*member, std::string help) {
    auto field = std::make_unique<Field<V>>(std::move(key), member, std::move(help));
    Field<V>& ref = *field;
    fields_.push_back(std::move(field));
    return ref;
  }

  /// Parses a map of options. Keys in `ignored` (such as `name`) are skipped.
  T parse(const ConfigNode& node, const std::string& path, const std::string& owner,
          const std::vector<std::string>& ignored = {"name"}) const {
    T value{};
    if (node.is_null()) return value;
    if (!node.is_map()) config_fail(node, path, fmt::format("expected a map of options for {}", owner));
    if (preset_member_) {
      for (const auto& entry : node.entries())
        if (entry.key == preset_key_)
          find(entry.key)->parse_into(value, entry.value, path.empty() ? entry.key : path + "." + entry.key);
      const auto preset = presets_.find(value.*preset_member_);
      if (preset == presets_.end())
        config_fail(node, path, fmt::format("{}: no preset named '{}'", owner, value.*preset_member_));
      preset->second(value);
    }
    // Paths after the other options (so the hint for a missing one is known),
    // and paths read under another path after that one.
    for (int rank = 0; rank < 3; ++rank) {
      for (const auto& entry : node.entries()) {
        bool skip = false;
        for (const auto& i : ignored) skip = skip || i == entry.key;
        if (skip) continue;
        const FieldBase* field = find(entry.key);
        const std::string key_path = path.empty() ? entry.key : path + "." + entry.key;
        if (!field)
          config_fail_at(entry.key_mark, key_path,
                         fmt::format("unknown option of {}; {}", owner, choices_hint(entry.key, keys())));
        if (field->parse_rank() != rank) continue;
        if (rank == 0 || !missing_path_hint_) {
          field->parse_into(value, entry.value, key_path);
          continue;
        }
        try {
          field->parse_into(value, entry.value, key_path);
        } catch (const MissingPathError& e) {  // only a missing file or folder: other mistakes need no hint
          const std::string hint = missing_path_hint_(value);
          if (hint.empty()) throw;
          throw MissingPathError(fmt::format("{}\n  {}", e.what(), hint));
        }
      }
    }
    return value;
  }

  /// A string option whose text is added to the error when a path option
  /// names nothing that exists: which data set it is and where it is published.
  void missing_path_hint(std::string T::*member) {
    missing_path_hint_ = [member](const T& value) { return value.*member; };
  }

  /// Named presets (VecMap's modes): the string option `key` names one, and
  /// parse applies it before every other key, so keys given beside it
  /// override its values; without `key`, the default name's preset applies.
  /// T's defaults should be that preset's values, so `graft describe` shows
  /// what a run gets. Declare `key` with .choices() of the same names.
  void presets(std::string key, std::string T::*member, std::map<std::string, std::function<void(T&)>> by_name) {
    preset_key_ = std::move(key);
    preset_member_ = member;
    presets_ = std::move(by_name);
  }

  /// The options as a map, every field present (defaults included).
  ConfigNode dump(const T& value) const {
    ConfigNode map = ConfigNode::map();
    for (const auto& field : fields_)
      if (field->saved(value)) map.set(field->key(), field->dump(value));
    return map;
  }

  std::vector<OptionDoc> docs() const {
    const T defaults{};
    std::vector<OptionDoc> out;
    for (const auto& field : fields_) out.push_back(field->doc(defaults));
    return out;
  }

  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& field : fields_) out.push_back(field->key());
    return out;
  }

 private:
  class FieldBase {
   public:
    virtual ~FieldBase() = default;
    virtual const std::string& key() const = 0;
    virtual void parse_into(T& target, const ConfigNode& node, const std::string& path) const = 0;
    virtual ConfigNode dump(const T& source) const = 0;
    virtual OptionDoc doc(const T& defaults) const = 0;
    /// 0: not a path; 1: a path; 2: a path read under another path option.
    virtual int parse_rank() const = 0;
    virtual bool saved(const T& value) const = 0;
  };

 public:
  template <class V>
  class Field : public FieldBase {
   public:
    Field(std::string key, V T::*member, std::string help)
        : key_(std::move(key)), member_(member), help_(std::move(help)) {}

    /// Inclusive lower bound (numbers, or each element of a list).
    Field& min(double bound) { return check(fmt::format(">= {}", format_double(bound)), [bound](double v) { return v >= bound; }); }
    /// Strict lower bound.
    Field& above(double bound) { return check(fmt::format("> {}", format_double(bound)), [bound](double v) { return v > bound; }); }
    Field& max(double bound) { return check(fmt::format("<= {}", format_double(bound)), [bound](double v) { return v <= bound; }); }
    /// For lists of numbers: each element larger than the one before.
    Field& increasing() {
      static_assert(std::is_same_v<V, std::vector<double>> || std::is_same_v<V, std::vector<std::int64_t>>,
                    "increasing() is for lists of numbers");
      increasing_ = true;
      constraint_text_.push_back("increasing");
      return *this;
    }
    /// For strings: the value must be one of `allowed`.
    Field& choices(std::vector<std::string> allowed) {
      choices_ = std::move(allowed);
      std::string text = "one of: ";
      for (std::size_t i = 0; i < choices_.size(); ++i) text += (i ? ", " : "") + choices_[i];
      constraint_text_.push_back(text);
      return *this;
    }

    /// For strings: a path to an existing file or folder (resolve_path_option).
    /// Empty means "not given" and is left empty.
    Field& path(PathKind kind) {
      static_assert(std::is_same_v<V, std::string>, "path options are strings");
      path_kind_ = kind;
      constraint_text_.push_back(kind == PathKind::file     ? "an existing file, relative to the YAML file"
                                 : kind == PathKind::folder ? "an existing folder, relative to the YAML file"
                                                            : "an existing file or folder, relative to the YAML file");
      return *this;
    }

    /// For paths: a relative path is read under the folder in `base` (another
    /// path option of the same struct, e.g. a data set's root) when that is given.
    Field& under(std::string T::*base, const std::string& base_key) {
      under_ = base;
      for (auto& text : constraint_text_)
        if (text.find("relative to the YAML file") != std::string::npos)
          text.replace(text.find("the YAML file"), std::string("the YAML file").size(), "`" + base_key + "` (when given)");
      return *this;
    }

    /// The type `graft describe` shows, for an option kept as a raw node
    /// (ConfigNode, shown as "map") whose null default means something
    /// but whose value is, say, a list of labels.
    Field& shown_as(std::string type) {
      shown_type_ = std::move(type);
      return *this;
    }

    /// Text for people, not a setting (a hint shown in errors): left out of
    /// resolved configs, so out of a run's identity too.
    Field& not_saved() {
      saved_ = false;
      return *this;
    }

    /// An option added after runs were made with its default: saved only when
    /// set to something else, so those runs keep their identity (not redone).
    Field& saved_unless_default() {
      is_default_ = [member = member_](const T& value) {
        static const T defaults{};
        return value.*member == defaults.*member;
      };
      return *this;
    }

    const std::string& key() const override { return key_; }
    bool saved(const T& value) const override { return saved_ && !(is_default_ && is_default_(value)); }
    int parse_rank() const override { return !path_kind_ ? 0 : under_ ? 2 : 1; }

    void parse_into(T& target, const ConfigNode& node, const std::string& path) const override {
      V value = OptionTraits<V>::parse(node, path);
      validate(value, node, path);
      if constexpr (std::is_same_v<V, std::string>)
        if (path_kind_ && !value.empty())
          value = resolve_path_option(value, node, path, *path_kind_, under_ ? target.*under_ : std::string());
      target.*member_ = std::move(value);
    }

    ConfigNode dump(const T& source) const override { return OptionTraits<V>::dump(source.*member_); }

    OptionDoc doc(const T& defaults) const override {
      std::string constraint;
      for (std::size_t i = 0; i < constraint_text_.size(); ++i) constraint += (i ? ", " : "") + constraint_text_[i];
      std::string def = OptionTraits<V>::dump(defaults.*member_).to_yaml();
      while (!def.empty() && (def.back() == '\n' || def.back() == ' ')) def.pop_back();
      while (!def.empty() && def.front() == ' ') def.erase(def.begin());
      return {key_, shown_type_.empty() ? std::string(OptionTraits<V>::type()) : shown_type_, def, constraint, help_};
    }

   private:
    Field& check(std::string text, std::function<bool(double)> predicate) {
      constraint_text_.push_back(std::move(text));
      numeric_checks_.push_back(std::move(predicate));
      return *this;
    }

    void validate(const V& value, const ConfigNode& node, const std::string& path) const {
      if constexpr (std::is_arithmetic_v<V>) {
        for (std::size_t i = 0; i < numeric_checks_.size(); ++i)
          if (!numeric_checks_[i](static_cast<double>(value)))
            config_fail(node, path, fmt::format("value {} is out of range: must be {}", node.text(), numeric_constraints()));
      } else if constexpr (std::is_same_v<V, std::vector<double>> || std::is_same_v<V, std::vector<std::int64_t>>) {
        for (std::size_t j = 0; j < value.size(); ++j)
          for (const auto& predicate : numeric_checks_)
            if (!predicate(static_cast<double>(value[j])))
              config_fail(node, path, fmt::format("element {} is out of range: each must be {}", j, numeric_constraints()));
        for (std::size_t j = 1; increasing_ && j < value.size(); ++j)
          if (!(value[j] > value[j - 1]))
            config_fail(node, path, fmt::format("element {} ({}) is not larger than element {} ({}): the list must "
                                                "increase",
                                                j, value[j], j - 1, value[j - 1]));
      } else if constexpr (std::is_same_v<V, std::string>) {
        if (!choices_.empty()) {
          for (const auto& c : choices_)
            if (c == value) return;
          config_fail(node, path, fmt::format("'{}' is not allowed; {}", value, choices_hint(value, choices_)));
        }
      }
    }

    std::string numeric_constraints() const {
      std::string text;
      for (std::size_t i = 0; i < constraint_text_.size(); ++i) text += (i ? " and " : "") + constraint_text_[i];
      return text;
    }

    std::string key_;
    V T::*member_;
    std::string help_;
    std::vector<std::string> constraint_text_;
    std::vector<std::function<bool(double)>> numeric_checks_;
    std::vector<std::string> choices_;
    std::optional<PathKind> path_kind_;
    std::string T::*under_ = nullptr;
    std::string shown_type_;  ///< set by shown_as
    bool saved_ = true;
    bool increasing_ = false;
    std::function<bool(const T&)> is_default_;  ///< set by saved_unless_default
  };

 private:
  const FieldBase* find(const std::string& key) const {
    for (const auto& field : fields_)
      if (field->key() == key) return field.get();
    return nullptr;
  }

  std::vector<std::unique_ptr<FieldBase>> fields_;
  std::function<std::string(const T&)> missing_path_hint_;
  std::string preset_key_;
  std::string T::*preset_member_ = nullptr;
  std::map<std::string, std::function<void(T&)>> presets_;
};

/// The OptionSet of T, built once from T::declare.
template <class T>
const OptionSet<T>& options_of() {
  static const OptionSet<T> set = [] {
    OptionSet<T> s;
    T::declare(s);
    return s;
  }();
  return set;
}

/// For components without options.
struct NoOptions {
  static void declare(OptionSet<NoOptions>&) {}
};

}  // namespace graft
