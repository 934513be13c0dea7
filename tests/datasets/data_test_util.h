#pragma once
// Tests on real data read the cache that the README's test command fills
// (`graft data fetch all`); a missing file fails with that instruction.

#include <string>

#include <gtest/gtest.h>

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

}  // namespace graft::testing
