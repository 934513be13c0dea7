#pragma once
// Files graft writes and reads back itself — run checkpoints, derived data
// sets, the initial feature sample — are sealed: a 24-byte header holds a
// magic string, the content's length and its CRC-32. Reading checks the seal
// before anything parses the content, because libtorch's archive reader
// crashes (SEGV, std::terminate) on some damaged archives, and
// fuzz/run.sh found such inputs within seconds. A torn or bit-flipped file
// is then an error naming it, never a crash. The seal guards against damage,
// not against a forger. Torch-free.

#include <optional>
#include <string>

namespace graft {

/// Writes `content` under a seal to `path` (temporary file, then rename).
void write_sealed_file(const std::string& path, const std::string& content);

/// The content of a sealed file. nullopt when the file has no seal at all
/// (written by graft before files were sealed): the caller decides whether
/// such a file is trusted, rebuilt or refused. Throws graft::Error naming
/// `path` and `what` it is when the seal does not match the content.
std::optional<std::string> read_sealed_file(const std::string& path, const std::string& what);

}  // namespace graft
