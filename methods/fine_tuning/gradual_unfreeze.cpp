#include "methods/fine_tuning/gradual_unfreeze.h"

#include "core/registries.h"

namespace graft {

GRAFT_REGISTER_METHOD(GradualUnfreeze, "gradual_unfreeze",
                      "head first, then backbone layers one by one from the top (Howard & Ruder 2018)");

}  // namespace graft
