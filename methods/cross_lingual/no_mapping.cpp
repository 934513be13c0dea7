#include "methods/cross_lingual/no_mapping.h"

#include "core/registries.h"

namespace graft {

GRAFT_REGISTER_METHOD(NoMapping, "no_mapping", "baseline: the identity map between the two vector spaces");

}  // namespace graft
