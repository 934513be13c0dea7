#pragma once
// L2-SP (Li et al., ICML 2018): full fine-tuning with Omega = alpha/2
// ||w_S - w_S^0||^2 + beta/2 ||w_head||^2 (eq. 4; l2_sp_penalty in
// fine_tuning.h), the backbone pulled towards its pretrained weights.

#include "methods/fine_tuning/fine_tuning.h"

namespace graft {

GRAFT_FINE_TUNE_VARIANT(L2Sp, "l2_sp", regularizer = "l2_sp");

}  // namespace graft
