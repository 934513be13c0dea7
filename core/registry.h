#pragma once
// Registries: the extension points of graft. One registry per kind of
// component (method, model, dataset, optimizer, schedule); each entry is a
// name, a one-line help and a factory that parses the entry's typed options.
//
// Contract (after c10's Registry and Hydra's errors):
//  * each registry is a function-local static, so registration from any
//    translation unit's static initialisers is safe in any order;
//  * registering a name twice throws;
//  * looking up an unknown name throws a ConfigError that lists the known names
//    and the nearest match; a lookup never returns null.
//
// Registering a component is one line in its .cpp file:
//
//   GRAFT_REGISTER_METHOD(Dann, "dann", "Domain-adversarial training (Ganin et al. 2016)");
//
// where `Dann` has `using Options = DannOptions;` and a constructor
// `Dann(DannOptions, <registry arguments>...)`.

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/config.h"
#include "core/error.h"
#include "core/options.h"

namespace graft {

/// What `graft list` and `graft describe` need from any registry.
class RegistryBase {
 public:
  virtual ~RegistryBase() = default;
  virtual const std::string& kind() const = 0;
  virtual std::vector<std::string> names() const = 0;
  virtual bool contains(const std::string& name) const = 0;
  virtual std::string help(const std::string& name) const = 0;
  virtual std::vector<OptionDoc> docs(const std::string& name) const = 0;
  /// Where the entry was registered from ("built-in" or a plugin path).
  virtual std::string origin(const std::string& name) const = 0;
};

/// Every registry, in a fixed order (method, model, dataset, optimizer, schedule).
std::vector<RegistryBase*> all_registries();

/// Label given to registrations made while a plugin is being loaded.
std::string& current_registration_origin();

/// Registration errors raised while a plugin loads: an exception cannot leave
/// a static initialiser run by dlopen, so they are kept for the loader.
std::vector<std::string>& pending_registration_errors();

template <class Base, class... Args>
class Registry : public RegistryBase {
 public:
  using Factory = std::function<std::shared_ptr<Base>(const ConfigNode& options, const std::string& path, Args...)>;

  struct Entry {
    std::string name;
    std::string help;
    Factory make;
    /// Parses and validates options; returns them with every default filled in.
    std::function<ConfigNode(const ConfigNode& options, const std::string& path)> resolve;
    std::function<std::vector<OptionDoc>()> docs;
    std::string origin;
  };

  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  void add(Entry entry) {
    if (entry.name.empty()) throw Error(fmt::format("{} registry: an entry needs a name", kind_));
    for (const auto& e : entries_)
      if (e.name == entry.name) {
        const std::string message = fmt::format("{} registry: '{}' is registered twice (first from {}, again from {})",
                                                kind_, entry.name, e.origin, current_registration_origin());
        if (current_registration_origin() == "built-in") throw Error(message);
        pending_registration_errors().push_back(message);
        return;
      }
    entry.origin = current_registration_origin();
    entries_.push_back(std::move(entry));
  }

  const std::string& kind() const override { return kind_; }

  std::vector<std::string> names() const override {
    std::vector<std::string> out;
    for (const auto& e : entries_) out.push_back(e.name);
    std::sort(out.begin(), out.end());
    return out;
  }

  bool contains(const std::string& name) const override { return find(name) != nullptr; }
  std::string help(const std::string& name) const override { return get(name).help; }
  std::vector<OptionDoc> docs(const std::string& name) const override { return get(name).docs(); }
  std::string origin(const std::string& name) const override { return get(name).origin; }

  const Entry& get(const std::string& name) const {
    if (const Entry* e = find(name)) return *e;
    throw ConfigError(fmt::format("unknown {} '{}'; {}", kind_, name, choices_hint(name, names())));
  }

  /// The component name of `node`: `dann` or `{name: dann, ...}`.
  std::string component_name(const ConfigNode& node, const std::string& path) const {
    const ConfigNode* name = node.is_map() ? node.find("name") : &node;
    if (!name || !name->is_scalar() || name->text().empty())
      config_fail(node, path, fmt::format("expected a {} name, or a map with 'name:' and its options; {}", kind_,
                                          choices_hint("", names())));
    if (!find(name->text()))
      config_fail(*name, path.empty() ? "name" : path + ".name",
                  fmt::format("unknown {} '{}'; {}", kind_, name->text(), choices_hint(name->text(), names())));
    return name->text();
  }

  /// `{name: X, <all options of X with defaults>}`, validated.
  ConfigNode resolve(const ConfigNode& node, const std::string& path) const {
    const std::string name = component_name(node, path);
    ConfigNode resolved = ConfigNode::map(node.mark());
    resolved.set("name", ConfigNode::scalar(name));
    const ConfigNode options = get(name).resolve(node.is_map() ? node : ConfigNode(), path);
    for (const auto& entry : options.entries()) resolved.set(entry.key, entry.value);
    return resolved;
  }

  std::shared_ptr<Base> create(const ConfigNode& node, const std::string& path, Args... args) const {
    const std::string name = component_name(node, path);
    return get(name).make(node.is_map() ? node : ConfigNode(), path, args...);
  }

 private:
  const Entry* find(const std::string& name) const {
    for (const auto& e : entries_)
      if (e.name == name) return &e;
    return nullptr;
  }

  std::string kind_;
  std::vector<Entry> entries_;
};

/// Registers Impl (with `using Options = ...;` and a constructor
/// `Impl(Options, Args...)`) under `name`. Use through the GRAFT_REGISTER_*
/// macros so the object has a unique name.
template <class Impl>
struct Registration {
  template <class Base, class... Args>
  Registration(Registry<Base, Args...>& registry, const char* name, const char* help) {
    using Options = typename Impl::Options;
    const std::string owner = fmt::format("{} '{}'", registry.kind(), name);
    typename Registry<Base, Args...>::Entry entry;
    entry.name = name;
    entry.help = help;
    entry.make = [owner](const ConfigNode& node, const std::string& path, Args... args) -> std::shared_ptr<Base> {
      return std::make_shared<Impl>(options_of<Options>().parse(node, path, owner), args...);
    };
    entry.resolve = [owner](const ConfigNode& node, const std::string& path) {
      return options_of<Options>().dump(options_of<Options>().parse(node, path, owner));
    };
    entry.docs = [] { return options_of<Options>().docs(); };
    registry.add(std::move(entry));
  }
};

}  // namespace graft

#define GRAFT_CONCAT_INNER(a, b) a##b
#define GRAFT_CONCAT(a, b) GRAFT_CONCAT_INNER(a, b)
/// Registers `Impl` in the registry returned by `registry_fn()`. __COUNTER__
/// (not __LINE__) keeps the variable names unique when a unity build puts
/// several registering files into one translation unit.
#define GRAFT_REGISTER(registry_fn, Impl, name, help)                                    \
  static const ::graft::Registration<Impl> GRAFT_CONCAT(graft_registration_, __COUNTER__) { \
    registry_fn(), name, help                                                           \
  }
