#include "methods/domain_adaptation/target_oracle.h"

#include "core/registries.h"

namespace graft {

GRAFT_REGISTER_METHOD(TargetOracle, "target_oracle", "supervised training on the labelled target (upper bound, not DA)");

}  // namespace graft
