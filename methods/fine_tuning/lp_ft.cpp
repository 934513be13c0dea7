#include "methods/fine_tuning/lp_ft.h"

#include "core/registries.h"

namespace graft {

GRAFT_REGISTER_METHOD(LinearProbeThenFineTune, "lp_ft", "linear probe, then full fine-tuning (Kumar et al. 2022)");

}  // namespace graft
