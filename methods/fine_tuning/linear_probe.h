#pragma once
// linear probing: the backbone stays frozen, only the new head trains.

#include "methods/fine_tuning/fine_tuning.h"

namespace graft {

GRAFT_FINE_TUNE_VARIANT(LinearProbe, "linear_probe", freeze_backbone = true);

}  // namespace graft
