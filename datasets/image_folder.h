#pragma once
// Photos in folders named by class: torchvision's ImageFolder layout
// (root/<class>/**/<image>.{jpg,jpeg,png}; classes are the sorted folder
// names), and DomainBed's (root/<domain>/<class>/<image>, one domain per
// `data:` entry). Read from disk as they are needed, through the transforms
// the YAML declares.
//
//   data:
//     source: {name: image_folder, root: PACS, domain: photo, holdout_fraction: 0.2,
//              transforms: {train: [...], test: [...]}}

#include <cstdint>
#include <string>
#include <vector>

#include "core/data.h"
#include "datasets/image_files.h"

namespace graft {

struct ImageFolderOptions : ImageFileSettings {
  std::string root;    ///< root/<class>/..., or root/<domain>/<class>/...
  std::string domain;  ///< DomainBed's layout: the domain folder under root
  std::string val;     ///< optional: a folder of the same classes for the val split
  std::string test;    ///< optional: a folder of the same classes for the test split
  static void declare(OptionSet<ImageFolderOptions>& o);
};

/// The classes of `folder` (its sorted subfolders, hidden ones left out) and
/// every image file under each, sorted. An error names a folder with no
/// classes or a class with no images.
struct ClassFolders {
  std::vector<std::string> classes;
  LabelledFiles files;
};
ClassFolders scan_class_folders(const std::string& folder);

struct ImageFolder : DataSet {
  using Options = ImageFolderOptions;
  ImageFolder(Options options, const DataContext& ctx);
};

}  // namespace graft
