#pragma once
// LP-FT (Kumar et al., ICLR 2022): a linear probe for `probe_fraction` of the
// steps, then full fine-tuning, so that a random head does not distort the
// pretrained features early on.

#include "methods/fine_tuning/fine_tuning.h"

namespace graft {

GRAFT_FINE_TUNE_VARIANT(LinearProbeThenFineTune, "lp_ft", probe_fraction = 0.5);

}  // namespace graft
