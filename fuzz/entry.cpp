// One fuzzer's entry point; CMake compiles this file once per target with
// GRAFT_FUZZ_TARGET naming a function of fuzz/targets.h.
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return graft::fuzz::GRAFT_FUZZ_TARGET(data, size);
}
