#pragma once
// Errors graft raises. Every message is written for the person who wrote the
// YAML file or called the API: it names the component, the bad value and what
// would be valid.

#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace graft {

/// Base of every error graft throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A problem in an experiment file or a command-line override. The message
/// already starts with `file:line:column: key.path:`.
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// A path option names a file or folder that is not there (a ConfigError:
/// the file, line and key come first). Data sets add what is missing and
/// where it is published (OptionSet::missing_path_hint).
class MissingPathError : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

/// A data set's files are not in the cache: every run would fail alike, so
/// the sweep stops and says which `graft data fetch` to run.
class DataMissing : public Error {
 public:
  using Error::Error;
};

/// A peer of a data-parallel run failed or the process group could not
/// form: the program stops, since the sweep cannot go on without its peers.
class DistributedError : public Error {
 public:
  using Error::Error;
};

/// A training run diverged (NaN/inf loss) or otherwise failed in a way that
/// should mark that run failed while the rest of a sweep goes on.
class RunFailed : public Error {
 public:
  using Error::Error;
};

/// What an exception from a library says, without what follows it: libtorch's
/// c10::Error appends a C++ backtrace. Loading a damaged file can throw other
/// types than c10::Error (torch::jit::ErrorReport from the unpickler), so the
/// loaders catch std::exception, let graft's own errors through, and name the
/// file with this text.
std::string library_message(const std::exception& e);

/// Levenshtein distance; used to suggest the nearest valid name.
std::size_t edit_distance(const std::string& a, const std::string& b);

/// The candidate closest to `wrong`, or "" when nothing is close enough to be
/// a plausible typo.
std::string nearest_match(const std::string& wrong, const std::vector<std::string>& candidates);

/// The keys of a map, for listing valid choices.
template <class Map>
std::vector<std::string> keys_of(const Map& map) {
  std::vector<std::string> keys;
  for (const auto& entry : map) keys.push_back(entry.first);
  return keys;
}

/// "valid choices: a, b, c. Did you mean 'b'?" — the tail of lookup errors.
std::string choices_hint(const std::string& wrong, const std::vector<std::string>& candidates);

}  // namespace graft

/// Throws graft::Error("<component>: <message>") unless `cond` holds.
/// Example: GRAFT_CHECK(lr > 0, "sgd", "lr must be positive, got {}", lr);
#define GRAFT_CHECK(cond, component, ...)                                          \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      throw ::graft::Error(std::string(component) + ": " + fmt::format(__VA_ARGS__)); \
    }                                                                              \
  } while (false)
