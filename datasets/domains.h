#pragma once
// Several domains as one data set: DomainBed's training on every domain but
// the held-out one. Each part is a data set entry of its own; the splits are
// their concatenation, with a `domain` target (the part's index, in the order
// written) beside `label`, so `sampler: domain_balanced` draws every part
// equally often whatever its size.
//
//   data:
//     source: {name: domains, parts: {art: {name: image_folder, root: PACS, domain: art_painting},
//                                     cartoon: {name: image_folder, root: PACS, domain: cartoon},
//                                     photo: {name: image_folder, root: PACS, domain: photo}},
//              transforms: {train: [...], test: [...]}}
//     target: {name: image_folder, root: PACS, domain: sketch, transforms: {...}}
//   sampler: domain_balanced

#include <string>
#include <vector>

#include "core/config.h"
#include "core/data.h"
#include "core/options.h"
#include "core/transforms.h"

namespace graft {

struct DomainsOptions {
  ConfigNode parts;           ///< part name -> data set entry
  TransformLists transforms;  ///< for parts read from disk: one pipeline for all (else the first part's)
  static void declare(OptionSet<DomainsOptions>& o);
};

/// Examples of several readers, one after another.
class ConcatenatedReader : public ExampleReader {
 public:
  explicit ConcatenatedReader(std::vector<std::shared_ptr<const ExampleReader>> parts);
  std::int64_t size() const override { return offsets_.back(); }
  std::string describe(std::int64_t index) const override;
  torch::Tensor read(std::int64_t index,
                     const std::function<ImagePlan(std::int64_t, std::int64_t)>& plan_for) const override;
  bool skip_unreadable() const override { return skip_; }

 private:
  std::pair<const ExampleReader*, std::int64_t> locate(std::int64_t index) const;
  std::vector<std::shared_ptr<const ExampleReader>> parts_;
  std::vector<std::int64_t> offsets_;  ///< offsets_[i]: the first index of part i; last: the total
  bool skip_ = false;
};

struct Domains : DataSet {
  using Options = DomainsOptions;
  Domains(Options options, const DataContext& ctx);
  std::vector<std::string> part_names;  ///< the `domain` target's names, in index order
};

}  // namespace graft
