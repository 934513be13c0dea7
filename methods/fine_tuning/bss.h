#pragma once
// BSS (Chen et al., NeurIPS 2019): full fine-tuning with eta times the sum of
// the k smallest squared singular values of the batch features
// (bss_penalty in fine_tuning.h), against negative transfer from
// the features' small spectral components.

#include "methods/fine_tuning/fine_tuning.h"

namespace graft {

GRAFT_FINE_TUNE_VARIANT(Bss, "bss", regularizer = "bss");

}  // namespace graft
