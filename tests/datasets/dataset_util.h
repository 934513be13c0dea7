#pragma once
// Builds a registered data set by name from YAML text, on the real cache.

#include <memory>
#include <string>

#include "core/data.h"
#include "core/registries.h"
#include "core/runtime.h"

namespace graft::testing {

inline std::shared_ptr<DataSet> make_dataset(const std::string& yaml, std::uint64_t seed = 0) {
  return dataset_registry().create(parse_config_text(yaml, "test"), "data.test",
                                   DataContext{seed, data_cache_dir(), "source"});
}

}  // namespace graft::testing
