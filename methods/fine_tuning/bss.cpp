#include "methods/fine_tuning/bss.h"

#include "core/registries.h"

namespace graft {

GRAFT_REGISTER_METHOD(Bss, "bss", "fine-tuning with batch spectral shrinkage (Chen et al. 2019)");

}  // namespace graft
