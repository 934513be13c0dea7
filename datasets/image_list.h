#pragma once
// TLlib's list files: one image per line, `relative/path label`, the path
// relative to a root (TLlib's ImageList: the label is the last field, the
// path everything before it). Office-31, Office-Home, VisDA-2017 and DomainNet
// run from TLlib's own `image_list/*.txt` unchanged.
//
//   data:
//     source: {name: image_list, root: office31, list: image_list/amazon.txt,
//              classes: [back_pack, bike, ...], transforms: {...}}

#include <cstdint>
#include <string>
#include <vector>

#include "core/data.h"
#include "datasets/image_files.h"

namespace graft {

struct ImageListOptions : ImageFileSettings {
  std::string root;                  ///< the folder the list's paths are relative to
  std::string list;                  ///< the training list file
  std::string val;                   ///< optional: the val split's list file
  std::string test;                  ///< optional: the test split's list file
  std::vector<std::string> classes;  ///< names of labels 0..K-1 (optional)
  std::int64_t num_classes = 0;      ///< without `classes`: K (0: the largest label + 1)
  static void declare(OptionSet<ImageListOptions>& o);
};

/// The images and labels of a list file. An error names the file and line of
/// a line without a label, a label that is not a whole number, and (unless
/// `allow_missing`) an image that does not exist under `root`.
LabelledFiles read_image_list(const std::string& list, const std::string& root, bool allow_missing);

struct ImageList : DataSet {
  using Options = ImageListOptions;
  ImageList(Options options, const DataContext& ctx);
};

}  // namespace graft
