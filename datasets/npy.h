#pragma once
// numpy's .npy format, read natively (no Python): the `arrays` data format's
// reader. Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
// — magic "\x93NUMPY", version 1.0/2.0/3.0, a little-endian header length, a
// Python dict literal {'descr', 'fortran_order', 'shape'}, then the data.
// Torch-free: the array comes back as bytes in C order and native (little)
// endianness, which the data layer turns into a tensor.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace graft {

struct NpyArray {
  /// bool, uint8, int8, int16, int32, int64, float16, float32, float64.
  /// numpy's uint16 and uint32 come back widened (int32, int64: lossless),
  /// since libtorch 1.13 has no such types.
  std::string dtype;
  std::vector<std::int64_t> shape;  ///< () for a scalar
  std::vector<unsigned char> data;  ///< C order, little-endian, element_size() bytes per element
  std::size_t element_size() const;
  std::int64_t count() const;  ///< elements: the product of `shape` (1 for a scalar)
};

/// Parses the bytes of a .npy file; `origin` names it in errors (a file, or
/// "archive.npz:member.npy"). Refuses, with an error naming `origin`: object
/// and structured dtypes, a header that is not a dict of the three keys, a
/// shape whose element count overflows, data shorter or longer than the shape.
NpyArray parse_npy(const std::string& bytes, const std::string& origin);

/// Reads and parses a .npy file.
NpyArray read_npy(const std::string& path);

/// Every array of a .npz file (numpy's savez / savez_compressed: a zip of
/// .npy members, stored or deflated; read with libzip), by member name
/// without ".npy". Errors name "file.npz:member.npy". A member whose
/// stated size is beyond what deflate can expand its compressed bytes to is
/// refused before it is inflated (a zip bomb or a damaged archive).
std::map<std::string, NpyArray> read_npz(const std::string& path);

}  // namespace graft
