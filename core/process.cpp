#include "core/process.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "core/error.h"

namespace graft {

namespace {

/// One shell word: single-quoted, a quote inside written as '\''.
std::string shell_word(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::pair<int, std::string> run_command(const std::vector<std::string>& argv, const std::string& dir) {
  std::string command = "cd " + shell_word(dir) + " &&";
  for (const auto& a : argv) command += " " + shell_word(a);
  command += " 2>&1";
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return {-1, "could not start a shell"};
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe)) output += buffer.data();
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::string sha256_of_file(const std::string& path) {
  // coreutils' sha256sum: always present on Debian, and not crypto code of ours.
  auto [status, output] = run_command({"sha256sum", "--", std::filesystem::absolute(path).string()}, ".");
  if (status != 0 || output.size() < 64) throw Error(fmt::format("{}: cannot compute sha256: {}", path, output));
  return output.substr(0, 64);
}

}  // namespace graft
