#pragma once
// Tests on real data read the cache that the README's test command fills
// (`graft data fetch all`); a missing file fails with that instruction.

#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "core/config.h"
#include "core/data.h"
#include "core/registries.h"
#include "core/runtime.h"
#include "datasets/sources.h"

namespace graft::testing {

inline std::string cached(const std::string& source, const std::string& file) {
  try {
    return cached_source_file(data_cache_dir(), source, file);
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what() << "\n(the test command runs `build/bin/graft data fetch all` first)";
    throw;
  }
}

/// The data set a YAML entry names, as the `source` domain of a run.
inline std::shared_ptr<DataSet> load_data(const std::string& yaml) {
  return dataset_registry().create(parse_config_text(yaml, "test.yaml"), "data.source",
                                   DataContext{0, data_cache_dir(), "source"});
}

/// The message of the exception `f` throws ("" if none).
inline std::string error_text(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace graft::testing
