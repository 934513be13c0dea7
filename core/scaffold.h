#pragma once
// `graft new method NAME`: writes a working method, its test and its
// experiment file, in graft's tree or as an out-of-tree plugin project.
// Torch-free.

#include <string>
#include <vector>

namespace graft {

struct NewMethodRequest {
  std::string name;                     ///< registry name, e.g. "label_smoothing"
  std::string paradigm = "custom";      ///< in-tree: methods/<paradigm>/
  std::string source_root = ".";        ///< in-tree: graft's source tree
  std::string out_of_tree;              ///< non-empty: write a plugin project here instead
};

/// Writes the files; returns their paths. Throws graft::Error for a bad name,
/// a name already registered, existing files, or a tree that is not graft's.
std::vector<std::string> write_new_method(const NewMethodRequest& request);

}  // namespace graft
