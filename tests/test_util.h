#pragma once
// Helpers shared by graft's tests: temporary folders and files, environment
// variables set for one test, and a seeding
// fixture so every test starts from the same generator state.

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "core/error.h"

namespace graft::testing {

/// Runs `call`, which must throw an E (graft's Error unless told) whose
/// message contains `expected`.
template <class E = Error>
void expect_error_containing(const std::function<void()>& call, const std::string& expected) {
  try {
    call();
    ADD_FAILURE() << "no error; expected one containing: " << expected;
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
  }
}

/// A fresh folder under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "graft-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  /// The names of the files directly in `folder` (relative to this one), sorted.
  std::vector<std::string> files_in(const std::string& folder = ".") const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(file(folder))) names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  /// Writes `content` to `name` inside the folder and returns its path.
  std::string write(const std::string& name, const std::string& content) const {
    const std::string p = file(name);
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    std::ofstream(p) << content;
    return p;
  }

 private:
  std::string path_;
};

/// Sets an environment variable (or, with nullptr, unsets it) for the
/// guard's scope; the old value, or its absence, comes back afterwards.
class EnvironmentGuard {
 public:
  EnvironmentGuard(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) saved_ = old;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~EnvironmentGuard() {
    if (saved_)
      setenv(name_, saved_->c_str(), 1);
    else
      unsetenv(name_);
  }
  EnvironmentGuard(const EnvironmentGuard&) = delete;
  EnvironmentGuard& operator=(const EnvironmentGuard&) = delete;

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

/// The whole content of a text file ("" when it cannot be read).
inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Path of the built `graft` executable and of the source tree (set by CMake).
inline std::string graft_binary() { return GRAFT_BINARY; }

/// Runs `graft ARGS...` as a child process with its output appended to
/// `log`; `kill_at` names the point of the training loop where it kills
/// itself (GRAFT_KILL_AT, core/trainer.cpp). Returns the exit code, or minus
/// the signal that ended it.
inline int run_graft_process(const std::vector<std::string>& args, const std::string& log,
                             const std::string& kill_at = "") {
  const pid_t pid = fork();
  if (pid == 0) {
    if (kill_at.empty())
      unsetenv("GRAFT_KILL_AT");
    else
      setenv("GRAFT_KILL_AT", kill_at.c_str(), 1);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    std::string binary = graft_binary();
    std::vector<std::string> copy = args;
    std::vector<char*> argv{binary.data()};
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}
inline std::string source_dir() { return GRAFT_SOURCE_DIR; }

}  // namespace graft::testing
