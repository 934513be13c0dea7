#pragma once
// full fine-tuning: every backbone parameter trains with the new head (at
// `backbone_lr_factor` times its rate).

#include "methods/fine_tuning/fine_tuning.h"

namespace graft {

GRAFT_FINE_TUNE_VARIANT(FullFineTune, "finetune", );

}  // namespace graft
