#pragma once
// Gradual unfreezing (Howard & Ruder, ULMFiT, ACL 2018): the head first, then
// the backbone's layers one at a time from the top, evenly over
// `unfreeze_fraction` of the steps (ULMFiT: one layer per epoch).

#include "methods/fine_tuning/fine_tuning.h"

namespace graft {

GRAFT_FINE_TUNE_VARIANT(GradualUnfreeze, "gradual_unfreeze", unfreeze_fraction = 0.5);

}  // namespace graft
