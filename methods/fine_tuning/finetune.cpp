#include "methods/fine_tuning/finetune.h"

#include "core/registries.h"

namespace graft {

GRAFT_REGISTER_METHOD(FullFineTune, "finetune", "fine-tune the whole pretrained backbone with a new head");

}  // namespace graft
