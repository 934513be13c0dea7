#include "methods/fine_tuning/linear_probe.h"

#include "core/registries.h"

namespace graft {

GRAFT_REGISTER_METHOD(LinearProbe, "linear_probe", "train a new head on the frozen pretrained backbone");

}  // namespace graft
