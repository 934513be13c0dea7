#pragma once
// Running other programs (sha256sum, apt-get download, dpkg-deb, npm) and
// what graft asks of them. Torch-free.

#include <string>
#include <utility>
#include <vector>

namespace graft {

/// Runs argv in `dir` with stdout and stderr captured together; returns the
/// exit status (-1 when it did not run to an exit) and the output.
std::pair<int, std::string> run_command(const std::vector<std::string>& argv, const std::string& dir);

/// sha256 of a file, lower-case hex; throws graft::Error naming the file.
std::string sha256_of_file(const std::string& path);

}  // namespace graft
