#include "methods/fine_tuning/l2_sp.h"

#include "core/registries.h"

namespace graft {

GRAFT_REGISTER_METHOD(L2Sp, "l2_sp", "fine-tuning regularised towards the pretrained weights (Li et al. 2018)");

}  // namespace graft
