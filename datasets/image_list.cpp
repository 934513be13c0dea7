#include "datasets/image_list.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/error.h"
#include "core/registries.h"

namespace fs = std::filesystem;

namespace graft {

void ImageListOptions::declare(OptionSet<ImageListOptions>& o) {
  using O = ImageListOptions;
  o.add("root", &O::root, "the folder the list's image paths are relative to").path(PathKind::folder);
  // Lists are read under root, as TLlib's data sets read root/image_list/*.txt.
  o.add("list", &O::list, "the training list: `path label` per line (TLlib's image_list/amazon.txt)")
      .path(PathKind::file)
      .under(&O::root, "root");
  o.add("val", &O::val, "the val split's list (else holdout_fraction, or none)")
      .path(PathKind::file)
      .under(&O::root, "root");
  o.add("test", &O::test, "the test split's list (TLlib uses the target's whole list)")
      .path(PathKind::file)
      .under(&O::root, "root");
  o.add("classes", &O::classes, "names of labels 0, 1, ... in order (TLlib's CLASSES); else the numbers");
  o.add("num_classes", &O::num_classes, "without `classes`: the number of classes (0: the largest label + 1)").min(0);
  declare_image_file_options(o);
}

LabelledFiles read_image_list(const std::string& list, const std::string& root, bool allow_missing) {
  std::ifstream in(list);
  if (!in) throw Error(fmt::format("{}: cannot open the list file", list));
  LabelledFiles out;
  std::string line;
  for (std::int64_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // lists written on Windows
    std::istringstream fields(line);
    std::vector<std::string> words;
    for (std::string w; fields >> w;) words.push_back(w);
    if (words.empty()) continue;
    if (words.size() < 2)
      throw Error(fmt::format("{}:{}: expected `path label`, got '{}'", list, number, line));
    const std::string& text = words.back();
    std::int64_t label = -1;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), label);
    if (error != std::errc() || end != text.data() + text.size() || label < 0)
      throw Error(fmt::format("{}:{}: the label '{}' is not a whole number >= 0", list, number, text));
    std::string path = words[0];
    for (std::size_t i = 1; i + 1 < words.size(); ++i) path += " " + words[i];  // TLlib: ' '.join(fields[:-1])
    if (fs::path(path).is_relative()) path = (fs::path(root) / path).string();
    if (!allow_missing && !fs::is_regular_file(path))
      throw Error(fmt::format("{}:{}: no image {} (paths are relative to root: {}); fix the root, or set "
                              "skip_unreadable: true to skip missing images",
                              list, number, path, root));
    out.paths.push_back(std::move(path));
    out.labels.push_back(label);
  }
  if (out.paths.empty()) throw Error(fmt::format("{}: no images listed", list));
  return out;
}

ImageList::ImageList(Options o, const DataContext& ctx) {
  const std::string where = "data." + ctx.domain;
  GRAFT_CHECK(!o.root.empty() && !o.list.empty(), where, "image_list needs `root:` and `list:`");
  GRAFT_CHECK(o.classes.empty() || o.num_classes == 0 || o.num_classes == static_cast<std::int64_t>(o.classes.size()),
              where, "`classes` names {} classes but num_classes is {}", o.classes.size(), o.num_classes);
  LabelledFiles train = read_image_list(o.list, o.root, o.skip_unreadable);
  std::optional<LabelledFiles> val, test;
  if (!o.val.empty()) val = read_image_list(o.val, o.root, o.skip_unreadable);
  if (!o.test.empty()) test = read_image_list(o.test, o.root, o.skip_unreadable);
  std::int64_t classes = o.classes.empty() ? o.num_classes : static_cast<std::int64_t>(o.classes.size());
  if (classes == 0) {
    for (auto label : train.labels) classes = std::max(classes, label + 1);
    for (const auto* other : {val ? &*val : nullptr, test ? &*test : nullptr})
      if (other)
        for (auto label : other->labels) classes = std::max(classes, label + 1);
  }
  for (const auto* files : {&train, val ? &*val : nullptr, test ? &*test : nullptr}) {
    if (!files) continue;
    const auto it = std::find_if(files->labels.begin(), files->labels.end(), [&](auto l) { return l >= classes; });
    if (it != files->labels.end())
      throw Error(fmt::format("{}: label {} (of {}) is out of range: {} classes{}", files == &train ? o.list : (val && files == &*val) ? o.val : o.test,
                              *it, files->paths[static_cast<std::size_t>(it - files->labels.begin())], classes,
                              o.classes.empty() ? "" : " are named in `classes`"));
  }
  std::vector<std::string> names = o.classes;
  if (names.empty())
    for (std::int64_t c = 0; c < classes; ++c) names.push_back(std::to_string(c));
  build_image_file_dataset(*this, "image_list:" + o.list, std::move(train), std::move(val), std::move(test),
                           std::move(names), o, where);
}

GRAFT_REGISTER_DATASET(ImageList, "image_list",
                       "your photos listed in TLlib's list files (`path label` per line, relative to root), decoded "
                       "on the fly through `transforms:`");

}  // namespace graft
