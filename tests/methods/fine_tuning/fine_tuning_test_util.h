#pragma once
// A fine-tuning method's setup on a toy target (2 features, 2 classes) with
// an MLP backbone of the given hidden widths, for the methods' unit tests.

#include <string>

#include "core/registries.h"
#include "core/strategy.h"

namespace graft::testing {

inline SetupContext toy_fine_tuning_setup(const std::string& hidden) {
  torch::manual_seed(3);
  SetupContext ctx;
  auto data = std::make_shared<DataSet>();
  data->input_shape = {2};
  data->num_classes = 2;
  data->splits["train"].inputs = torch::randn({8, 2});
  ctx.domains["target"] = data;
  ctx.make_backbone = [hidden](const std::vector<std::int64_t>& shape) {
    return model_registry().create(parse_config_text("{name: mlp, hidden: " + hidden + "}", "t"), "model",
                                   ModelContext{shape});
  };
  return ctx;
}

}  // namespace graft::testing
