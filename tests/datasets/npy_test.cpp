// numpy's .npy files as numpy writes them (Debian's python3-numpy), read by
// graft's own parser: every dtype, C and Fortran order, big-endian, format
// 2.0, scalars and empty arrays; and the files it must refuse.
#include "datasets/npy.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <c10/util/Half.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/test_util.h"

namespace graft {
namespace {

using testing::TempDir;

/// Writes each case with numpy, with its values (C order) and shape as text.
void write_cases(const TempDir& dir) {
  const std::string script = dir.write("write.py", R"(import os, sys, numpy as np
d = sys.argv[1]
cases = {
    "f4_c": np.arange(24, dtype="<f4").reshape(2, 3, 4) / 7,
    "f8_fortran": np.asfortranarray((np.arange(12, dtype="<f8").reshape(3, 4) - 5.5) * 1e-3),
    "i8_big_endian": np.arange(-3, 3, dtype=">i8").reshape(2, 3),
    "u1": np.array([0, 7, 255], dtype="u1"),
    "i1": np.array([-128, 5], dtype="i1"),
    "u2": np.array([65535, 1], dtype="<u2"),
    "u4": np.array([4294967295, 2], dtype="<u4"),
    "b1": np.array([True, False, True]),
    "f2": np.array([0.5, -2.0, 65504.0], dtype="<f2"),
    "i2_fortran": np.asfortranarray(np.arange(24, dtype="<i2").reshape(2, 3, 4)),
    "i4_big_fortran": np.asfortranarray(np.arange(6, dtype=">i4").reshape(3, 2)),
    "scalar": np.array(3.25),
    "empty": np.zeros((0, 5), dtype="<f4"),
}
for name, a in cases.items():
    np.save(os.path.join(d, name + ".npy"), a)
    with open(os.path.join(d, name + ".txt"), "w") as f:
        f.write(a.dtype.name + "\n" + " ".join(map(str, a.shape)) + "\n")
        f.write(" ".join(repr(float(x)) for x in np.ascontiguousarray(a).ravel()) + "\n")
with open(os.path.join(d, "v2.npy"), "wb") as f:
    np.lib.format.write_array(f, np.arange(3, dtype="<i4"), version=(2, 0))
np.save(os.path.join(d, "object.npy"), np.array([{"a": 1}], dtype=object), allow_pickle=True)
np.save(os.path.join(d, "structured.npy"), np.zeros(2, dtype=[("x", "<f4"), ("y", "<i4")]))
np.save(os.path.join(d, "complex.npy"), np.zeros(2, dtype="<c8"))
np.savez(os.path.join(d, "stored.npz"), x=cases["f4_c"], label=cases["i8_big_endian"])
np.savez_compressed(os.path.join(d, "deflated.npz"), x=cases["f4_c"], depth=np.ones((2, 64, 64), dtype="<f4"))
import zipfile
with zipfile.ZipFile(os.path.join(d, "foreign.npz"), "w") as z:
    z.writestr("notes.txt", "not an array")
)");
  const std::string command = "/usr/bin/python3 " + script + " " + dir.path();
  ASSERT_EQ(std::system(command.c_str()), 0) << "the tests need Debian's python3-numpy (python3-torch brings it)";
}

/// The error `read` throws, or "read".
template <class Read>
std::string error_of(Read read) {
  try {
    read();
  } catch (const Error& e) {
    return e.what();
  }
  return "read";
}

std::vector<double> values_of(const NpyArray& a) {
  std::vector<double> out;
  const auto* p = a.data.data();
  for (std::int64_t i = 0; i < a.count(); ++i, p += a.element_size()) {
    if (a.dtype == "bool" || a.dtype == "uint8") out.push_back(*p);
    else if (a.dtype == "int8") out.push_back(*reinterpret_cast<const std::int8_t*>(p));
    else if (a.dtype == "int16") out.push_back(*reinterpret_cast<const std::int16_t*>(p));
    else if (a.dtype == "int32") out.push_back(*reinterpret_cast<const std::int32_t*>(p));
    else if (a.dtype == "int64") out.push_back(static_cast<double>(*reinterpret_cast<const std::int64_t*>(p)));
    else if (a.dtype == "float16") out.push_back(static_cast<float>(*reinterpret_cast<const c10::Half*>(p)));
    else if (a.dtype == "float32") out.push_back(*reinterpret_cast<const float*>(p));
    else if (a.dtype == "float64") out.push_back(*reinterpret_cast<const double*>(p));
    else ADD_FAILURE() << a.dtype;
  }
  return out;
}

TEST(Npy, ReadsWhatNumpyWritesValueForValue) {
  TempDir dir;
  write_cases(dir);
  const std::map<std::string, std::string> widened{{"uint16", "int32"}, {"uint32", "int64"}};
  for (const char* name : {"f4_c", "f8_fortran", "i8_big_endian", "u1", "i1", "u2", "u4", "b1", "f2", "i2_fortran",
                           "i4_big_fortran", "scalar", "empty"}) {
    std::istringstream text(testing::read_text(dir.file(std::string(name) + ".txt")));
    std::string numpy_dtype, shape_line, values_line;
    std::getline(text, numpy_dtype);
    std::getline(text, shape_line);
    std::getline(text, values_line);
    std::vector<std::int64_t> shape;
    std::istringstream shape_text(shape_line);
    for (std::int64_t d; shape_text >> d;) shape.push_back(d);
    std::vector<double> expected;
    std::istringstream values_text(values_line);
    for (double v; values_text >> v;) expected.push_back(v);

    const NpyArray a = read_npy(dir.file(std::string(name) + ".npy"));
    const std::string dtype = widened.count(numpy_dtype) ? widened.at(numpy_dtype) : numpy_dtype;
    EXPECT_EQ(a.dtype, dtype) << name;
    EXPECT_EQ(a.shape, shape) << name;
    EXPECT_EQ(values_of(a), expected) << name;
  }
  const NpyArray v2 = read_npy(dir.file("v2.npy"));
  EXPECT_EQ(values_of(v2), (std::vector<double>{0, 1, 2}));
}

TEST(Npy, RefusesWhatItCannotReadNamingTheFile) {
  TempDir dir;
  write_cases(dir);
  const auto npy_error = [](const std::string& path) { return error_of([&] { read_npy(path); }); };
  const std::string object = npy_error(dir.file("object.npy"));
  EXPECT_NE(object.find(dir.file("object.npy") + ": dtype '|O' is not one graft reads"), std::string::npos) << object;
  EXPECT_NE(npy_error(dir.file("structured.npy")).find("a structured dtype"), std::string::npos);
  EXPECT_NE(npy_error(dir.file("complex.npy")).find("dtype '<c8'"), std::string::npos);

  const std::string good = testing::read_text(dir.file("f4_c.npy"));
  const std::string cut = npy_error(dir.write("cut.npy", good.substr(0, good.size() - 4)));
  EXPECT_NE(cut.find("cut.npy: shape (2, 3, 4) of <f4 needs 96 bytes of data, the file holds 92"), std::string::npos)
      << cut;
  EXPECT_NE(npy_error(dir.write("longer.npy", good + "x")).find("the file holds 97"), std::string::npos);
  EXPECT_NE(npy_error(dir.write("text.npy", "a,b\n1,2\n")).find("text.npy: not a .npy file"), std::string::npos);
  // A header promising 2^62 x 2^62 elements is refused before any allocation.
  std::string huge = good;
  const auto shape = huge.find("(2, 3, 4)");
  huge.replace(shape, 9, "(4611686018427387904, 4)");
  EXPECT_NE(npy_error(dir.write("huge.npy", huge)).find("holds more elements than any file"), std::string::npos);
  std::string header_past_end = good;
  header_past_end[8] = '\xff';
  header_past_end[9] = '\x7f';
  EXPECT_NE(npy_error(dir.write("header.npy", header_past_end)).find("the header promises 32767 bytes"),
            std::string::npos);
}

TEST(Npz, ReadsStoredAndDeflatedArchivesAsNumpyWritesThem) {
  TempDir dir;
  write_cases(dir);
  const NpyArray f4 = read_npy(dir.file("f4_c.npy")), i8 = read_npy(dir.file("i8_big_endian.npy"));
  const auto stored = read_npz(dir.file("stored.npz"));
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(values_of(stored.at("x")), values_of(f4));
  EXPECT_EQ(stored.at("label").shape, i8.shape);
  EXPECT_EQ(values_of(stored.at("label")), values_of(i8));
  const auto deflated = read_npz(dir.file("deflated.npz"));
  EXPECT_EQ(values_of(deflated.at("x")), values_of(f4));
  EXPECT_EQ(deflated.at("depth").shape, (std::vector<std::int64_t>{2, 64, 64}));
  EXPECT_EQ(values_of(deflated.at("depth")), std::vector<double>(2 * 64 * 64, 1.0));

  const auto npz_error = [](const std::string& path) { return error_of([&] { read_npz(path); }); };
  EXPECT_NE(npz_error(dir.file("foreign.npz")).find("foreign.npz:notes.txt: not a .npy member"), std::string::npos);
  EXPECT_NE(npz_error(dir.file("f4_c.npy")).find("f4_c.npy: not a readable .npz (zip) archive"), std::string::npos);
  std::string bytes = testing::read_text(dir.file("deflated.npz"));
  const std::string cut = npz_error(dir.write("cut.npz", bytes.substr(0, bytes.size() / 2)));
  EXPECT_NE(cut.find("cut.npz: not a readable .npz (zip) archive"), std::string::npos) << cut;
  bytes[120] ^= 0x55;  // inside the first member's deflated data (bytes 55..213)
  const std::string flipped = npz_error(dir.write("flipped.npz", bytes));
  EXPECT_NE(flipped.find("flipped.npz:"), std::string::npos) << flipped;
  EXPECT_NE(flipped.find("damaged"), std::string::npos) << flipped;
}

}  // namespace
}  // namespace graft
