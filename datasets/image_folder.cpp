#include "datasets/image_folder.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "core/error.h"
#include "core/registries.h"
#include "datasets/image_formats.h"

namespace fs = std::filesystem;

namespace graft {

void ImageFolderOptions::declare(OptionSet<ImageFolderOptions>& o) {
  using O = ImageFolderOptions;
  o.add("root", &O::root, "folder of class folders (or of domain folders, with `domain:`)").path(PathKind::folder);
  o.add("domain", &O::domain, "DomainBed's layout: the domain folder under root (root/<domain>/<class>/<image>)");
  o.add("val", &O::val, "a folder of the same classes for the val split (else holdout_fraction, or none)")
      .path(PathKind::folder);
  o.add("test", &O::test, "a folder of the same classes for the test split (else test_fraction, or none)")
      .path(PathKind::folder);
  declare_image_file_options(o);
}

namespace {
std::vector<std::string> subfolders(const std::string& folder) {
  std::vector<std::string> names;
  std::error_code error;
  for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;  // .ipynb_checkpoints and the like are not classes
    if (it->is_directory(error)) names.push_back(name);
  }
  if (error) throw Error(fmt::format("{}: cannot list ({})", folder, error.message()));
  std::sort(names.begin(), names.end());  // byte order of UTF-8: code-point order, as Python's sorted()
  return names;
}

std::vector<std::string> images_under(const std::string& folder) {
  std::vector<std::string> paths;
  std::error_code error;
  for (fs::recursive_directory_iterator it(folder, fs::directory_options::follow_directory_symlink, error), end;
       !error && it != end; it.increment(error))
    if (it->is_regular_file(error) && has_image_extension(it->path().string())) paths.push_back(it->path().string());
  if (error) throw Error(fmt::format("{}: cannot list ({})", folder, error.message()));
  std::sort(paths.begin(), paths.end());
  return paths;
}
}  // namespace

ClassFolders scan_class_folders(const std::string& folder) {
  ClassFolders out;
  out.classes = subfolders(folder);
  if (out.classes.empty()) {
    const auto loose = images_under(folder).size();
    throw Error(fmt::format("{}: no class folders{}; image_folder reads <root>/<class>/<image>.jpg|.jpeg|.png", folder,
                            loose ? fmt::format(" ({} images lie directly in it)", loose) : std::string()));
  }
  for (std::size_t c = 0; c < out.classes.size(); ++c) {
    const std::string class_folder = (fs::path(folder) / out.classes[c]).string();
    auto images = images_under(class_folder);
    if (images.empty())
      throw Error(fmt::format("{}: an empty class folder (no .jpg, .jpeg or .png files); remove it or add its images",
                              class_folder));
    for (auto& path : images) {
      out.files.paths.push_back(std::move(path));
      out.files.labels.push_back(static_cast<std::int64_t>(c));
    }
  }
  return out;
}

ImageFolder::ImageFolder(Options o, const DataContext& ctx) {
  const std::string where = "data." + ctx.domain;
  GRAFT_CHECK(!o.root.empty(), where, "image_folder needs `root:` (a folder of class folders)");
  std::string folder = o.root;
  if (!o.domain.empty()) {
    folder = (fs::path(o.root) / o.domain).string();
    if (!fs::is_directory(folder))
      throw Error(fmt::format("{}: no domain folder '{}'; {}", o.root, o.domain, choices_hint(o.domain, subfolders(o.root))));
  }
  ClassFolders train = scan_class_folders(folder);
  // Other folders' classes are named as the training folder's: labels by name.
  auto relabelled = [&](const std::string& other) {
    ClassFolders held = scan_class_folders(other);
    LabelledFiles out;
    for (std::size_t i = 0; i < held.files.paths.size(); ++i) {
      const std::string& name = held.classes[static_cast<std::size_t>(held.files.labels[i])];
      const auto it = std::find(train.classes.begin(), train.classes.end(), name);
      if (it == train.classes.end())
        throw Error(fmt::format("{}: class folder '{}' is not a class of {} ({} classes)", other, name, folder,
                                train.classes.size()));
      out.paths.push_back(held.files.paths[i]);
      out.labels.push_back(it - train.classes.begin());
    }
    return out;
  };
  std::optional<LabelledFiles> val, test;
  if (!o.val.empty()) val = relabelled(o.val);
  if (!o.test.empty()) test = relabelled(o.test);
  build_image_file_dataset(*this, "image_folder:" + folder, std::move(train.files), std::move(val), std::move(test),
                           std::move(train.classes), o, where);
}

GRAFT_REGISTER_DATASET(ImageFolder, "image_folder",
                       "your photos in class folders: root/<class>/<image> (torchvision's ImageFolder) or "
                       "root/<domain>/<class>/<image> (DomainBed), decoded on the fly through `transforms:`");

}  // namespace graft
