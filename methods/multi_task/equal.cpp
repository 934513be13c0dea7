#include "methods/multi_task/equal.h"

#include "core/registries.h"

namespace graft {
GRAFT_REGISTER_METHOD(EqualWeighting, "equal", "multi-task: the plain sum of the task losses");
}  // namespace graft
