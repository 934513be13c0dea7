#pragma once
// What the data sets read from disk share (image_folder, image_list): the
// reader of a list of image files, the options every such set takes, and the
// assembly of splits, class names and transforms into a DataSet.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/data.h"
#include "core/options.h"
#include "core/transforms.h"

namespace graft {

/// Image files (JPEG, PNG) decoded one at a time through a plan
/// (read_image_region). With `cache_size` > 0, each image is decoded once,
/// resized so that its shorter side is `cache_size` and kept in memory as
/// uint8; later reads plan on that copy (for sets that fit: about
/// 3 * cache_size^2 * 4/3 bytes an image, 262 kB at 256).
class ImageFiles : public ExampleReader {
 public:
  ImageFiles(std::vector<std::string> paths, bool skip_unreadable, std::int64_t cache_size = 0);
  std::int64_t size() const override { return static_cast<std::int64_t>(paths_.size()); }
  std::string describe(std::int64_t index) const override { return paths_.at(static_cast<std::size_t>(index)); }
  torch::Tensor read(std::int64_t index,
                     const std::function<ImagePlan(std::int64_t, std::int64_t)>& plan_for) const override;
  bool skip_unreadable() const override { return skip_unreadable_; }
  const std::vector<std::string>& paths() const { return paths_; }

 private:
  std::vector<std::string> paths_;
  bool skip_unreadable_;
  std::int64_t cache_size_;
  struct Cache;
  std::shared_ptr<Cache> cache_;  ///< decoded copies, when cache_size_ > 0
};

/// The files of one split and the class label of each.
struct LabelledFiles {
  std::vector<std::string> paths;
  std::vector<std::int64_t> labels;
};

/// The options every data set of image files takes (image_folder and
/// image_list derive their options from it).
struct ImageFileSettings {
  TransformLists transforms;
  double holdout_fraction = 0.0;
  double test_fraction = 0.0;
  std::int64_t split_seed = 0;
  bool skip_unreadable = false;
  std::int64_t cache_size = 0;
  std::string if_missing;  ///< added to the error when the files are not there: which set, where it is published
  bool test_all = false;   ///< the test split is every file (training files included)
};

template <class T>
void declare_image_file_options(OptionSet<T>& o) {
  using S = ImageFileSettings;
  o.add("transforms", static_cast<TransformLists T::*>(&S::transforms),
        "per split (train, val, test): a list of transforms (`graft list transforms`); a split without one uses "
        "test's");
  o.add("holdout_fraction", static_cast<double T::*>(&S::holdout_fraction),
        "of the training files, held out as the val split (DomainBed: 0.2), by a permutation of split_seed alone")
      .min(0.0)
      .max(0.9);
  o.add("test_fraction", static_cast<double T::*>(&S::test_fraction), "without `test:`, also held out, as the test split")
      .min(0.0)
      .max(0.9);
  o.add("split_seed", static_cast<std::int64_t T::*>(&S::split_seed),
        "the permutation behind both fractions: the same for every method and seed")
      .min(0);
  o.add("cache_size", static_cast<std::int64_t T::*>(&S::cache_size),
        "keep every image decoded in memory, its shorter side resized to this (0: decode from disk each time); "
        "for sets that fit: about 262 kB an image at 256")
      .min(0);
  o.add("skip_unreadable", static_cast<bool T::*>(&S::skip_unreadable),
        "skip (and count) unreadable images, each replaced by the next readable one; default: an unreadable image "
        "is an error");
  o.add("test_all", static_cast<bool T::*>(&S::test_all),
        "the test split is every file of the set, the training files included: a domain that is only evaluated "
        "(DomainBed's test environment; TLlib's target, scored on all of it)")
      .saved_unless_default();
  o.add("if_missing", static_cast<std::string T::*>(&S::if_missing),
        "what a missing root or list means: which data set, where it is published, how to lay it out (shown in the "
        "error; not a setting, so not saved with the run)")
      .not_saved();
  o.missing_path_hint(static_cast<std::string T::*>(&S::if_missing));
}

/// Fills `data` from the files of the training set (`all`: train, and val/test
/// by fraction) and of separate val and test sets, with `classes` naming the
/// labels.
/// Reads one image through the pipelines to learn the input shape, so a set
/// whose transforms give no fixed size is an error here, not at the first
/// batch. `where` names the YAML entry for messages.
void build_image_file_dataset(DataSet& data, const std::string& name, LabelledFiles all,
                              std::optional<LabelledFiles> val, std::optional<LabelledFiles> test,
                              std::vector<std::string> classes,
                              const ImageFileSettings& settings, const std::string& where);

}  // namespace graft
