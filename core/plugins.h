#pragma once
// Out-of-tree plugins: shared libraries built against an installed graft
// (`find_package(graft)`, `graft_add_plugin(...)`) that register methods,
// models or data sets with the same GRAFT_REGISTER_* lines as in-tree code.
//
// A plugin's source has one GRAFT_PLUGIN("name") line. It embeds the ABI tag
// of the graft it was built against (graft version, libtorch major.minor,
// C++ standard library); the loader reads that tag from the file *before*
// loading it, so an incompatible plugin is refused with both tags named
// instead of crashing in its static initialisers.
//
// Plugins are loaded only from paths the user named: an experiment's
// `plugins:` list (paths relative to the YAML file, or bare names searched in
// $GRAFT_PLUGIN_PATH), or $GRAFT_PLUGINS (colon-separated paths, loaded by
// every `graft` command so that `graft list` and `describe` show them).
// A loaded plugin is never unloaded: registry entries, options and objects it
// created may live until the process ends.
//
// Torch-free (torch/version.h is macros only).

#include <string>
#include <vector>

#include <torch/version.h>  // macros only: TORCH_VERSION_MAJOR/MINOR for the ABI tag

#include "core/version.h"

#define GRAFT_PLUGIN_STRINGIFY_INNER(x) #x
#define GRAFT_PLUGIN_STRINGIFY(x) GRAFT_PLUGIN_STRINGIFY_INNER(x)

/// The ABI tag of this build: what a plugin must have been compiled with.
/// TORCH_VERSION_MAJOR/MINOR come from <torch/version.h> in the plugin's and
/// in graft's own translation unit alike.
#define GRAFT_PLUGIN_ABI_TAG(torch_major, torch_minor)                                               \
  "graft " GRAFT_VERSION "; libtorch " GRAFT_PLUGIN_STRINGIFY(torch_major) "." GRAFT_PLUGIN_STRINGIFY( \
      torch_minor) "; libstdc++ ABI " GRAFT_PLUGIN_STRINGIFY(_GLIBCXX_USE_CXX11_ABI)

/// Marks a shared library as a graft plugin. Put it in exactly one source file
/// of the plugin (after including <torch/torch.h> or any graft header that does).
#define GRAFT_PLUGIN(plugin_name)                                                                         \
  extern "C" __attribute__((used, visibility("default"))) const char graft_plugin_manifest[] =           \
      "GRAFT_PLUGIN_ABI=" GRAFT_PLUGIN_ABI_TAG(TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR) "\n"              \
      "GRAFT_PLUGIN_NAME=" plugin_name "\n"

namespace graft {

/// The ABI tag of the running graft library.
std::string plugin_abi_tag();

/// Loads one plugin (a path to a shared library). Throws graft::Error naming
/// the file for: a missing file, a library without GRAFT_PLUGIN, a different
/// ABI tag, a failed dlopen, a library that registers nothing, or a name it
/// registers that already exists. Loading the same file twice is a no-op.
/// Returns the names it registered ("method dann2", ...).
std::vector<std::string> load_plugin(const std::string& path);

/// Resolves `name` as an experiment's `plugins:` entry: absolute paths as
/// they are; paths with a '/' relative to `base_dir`; bare names (with or
/// without lib...so) in each folder of $GRAFT_PLUGIN_PATH, then `base_dir`.
/// Throws graft::Error listing where it looked.
std::string resolve_plugin_path(const std::string& name, const std::string& base_dir);

/// Loads every path in $GRAFT_PLUGINS (colon-separated).
void load_plugins_from_environment();

/// Paths of the plugins loaded so far, in load order.
const std::vector<std::string>& loaded_plugins();

}  // namespace graft
