#include "core/plugins.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <fmt/format.h>
#include <torch/version.h>

#include "core/error.h"
#include "core/registry.h"

namespace fs = std::filesystem;

namespace graft {
namespace {

std::vector<std::string>& loaded() {
  static std::vector<std::string> paths;
  return paths;
}

/// The value after `key` in the file's bytes (up to a newline or NUL), or
/// "" when the key is absent. Reads the file; never runs its code.
std::string embedded_value(const std::string& path, const std::string& key) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = bytes.find(key);
  if (at == std::string::npos) return "";
  const auto begin = at + key.size();
  const auto end = bytes.find_first_of(std::string("\n\0", 2), begin);
  return bytes.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

std::vector<std::string> split_paths(const char* value) {
  std::vector<std::string> out;
  if (!value) return out;
  std::stringstream s(value);
  std::string item;
  while (std::getline(s, item, ':'))
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

std::string plugin_abi_tag() { return GRAFT_PLUGIN_ABI_TAG(TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR); }

const std::vector<std::string>& loaded_plugins() { return loaded(); }

std::vector<std::string> load_plugin(const std::string& path_in) {
  std::error_code error;  // error_code overloads: a name too long must not throw filesystem_error
  const fs::file_status status = fs::status(path_in, error);
  if (!fs::exists(status))
    throw Error(fmt::format("plugin {}: no such file (build the plugin first, or fix the path){}", path_in,
                            error && error != std::errc::no_such_file_or_directory ? ": " + error.message() : ""));
  // A folder gave "basic_filebuf::underflow error", /dev/zero read until
  // memory ran out: only a regular file is read for its ABI tag.
  if (!fs::is_regular_file(status))
    throw Error(fmt::format("plugin {}: not a regular file (a folder, a pipe or a device); name the plugin's .so "
                            "file",
                            path_in));
  const std::string path = fs::canonical(path_in).string();
  for (const auto& p : loaded())
    if (p == path) return {};

  const std::string abi = embedded_value(path, "GRAFT_PLUGIN_ABI=");
  if (abi.empty())
    throw Error(fmt::format("{} is not a graft plugin: it has no GRAFT_PLUGIN(\"name\") line (core/plugins.h). "
                            "Add one to a source file of the plugin and rebuild it.",
                            path));
  if (abi != plugin_abi_tag())
    throw Error(fmt::format("plugin {} was built for '{}' but this graft is '{}'; rebuild the plugin against "
                            "this graft (cmake -DCMAKE_PREFIX_PATH=<graft install prefix>)",
                            path, abi, plugin_abi_tag()));

  pending_registration_errors().clear();
  const std::string previous_origin = current_registration_origin();
  current_registration_origin() = path;
  // RTLD_NOW: an unresolved symbol is an error here, not a crash mid-run.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  current_registration_origin() = previous_origin;
  if (!handle) throw Error(fmt::format("plugin {}: cannot load: {}", path, dlerror()));
  loaded().push_back(path);  // never dlclose'd: what it registered lives as long as the process

  if (!pending_registration_errors().empty()) {
    std::string all;
    for (const auto& e : pending_registration_errors()) all += "\n  " + e;
    pending_registration_errors().clear();
    throw Error(fmt::format("plugin {}: registration failed:{}", path, all));
  }
  std::vector<std::string> added;
  for (const auto* r : all_registries())
    for (const auto& name : r->names())
      if (r->origin(name) == path) added.push_back(r->kind() + " " + name);
  if (added.empty())
    throw Error(fmt::format("plugin {} registers nothing: it needs at least one GRAFT_REGISTER_METHOD/MODEL/"
                            "DATASET/... line (core/registries.h) in a file that is linked into it",
                            path));
  return added;
}

std::string resolve_plugin_path(const std::string& name, const std::string& base_dir) {
  const fs::path p(name);
  if (p.is_absolute()) return name;
  if (name.find('/') != std::string::npos) return (fs::path(base_dir) / p).lexically_normal().string();
  std::vector<std::string> candidates{name};
  if (name.find(".so") == std::string::npos) {
    candidates.push_back(name + ".so");
    candidates.push_back("lib" + name + ".so");
  }
  std::vector<std::string> folders = split_paths(std::getenv("GRAFT_PLUGIN_PATH"));
  folders.push_back(base_dir.empty() ? "." : base_dir);
  for (const auto& folder : folders)
    for (const auto& c : candidates)
      if (std::error_code error; fs::exists(fs::path(folder) / c, error)) return (fs::path(folder) / c).string();
  std::string looked;
  for (const auto& folder : folders) looked += (looked.empty() ? "" : ", ") + folder;
  throw Error(fmt::format("plugin '{}' not found; looked in {} (set GRAFT_PLUGIN_PATH, or give a path)", name,
                          looked));
}

void load_plugins_from_environment() {
  for (const auto& path : split_paths(std::getenv("GRAFT_PLUGINS"))) {
    try {
      load_plugin(path);
    } catch (const Error& e) {
      throw Error(fmt::format("GRAFT_PLUGINS: {}", e.what()));
    }
  }
}

}  // namespace graft
