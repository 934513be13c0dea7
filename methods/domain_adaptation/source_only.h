#pragma once
// Source only: supervised training on the labelled source domain, evaluated
// on every domain. The baseline every domain-adaptation method must beat.

#include <string>
#include <vector>

#include "core/options.h"
#include "core/strategy.h"

namespace graft {

struct SourceOnlyOptions {
  std::string domain = "source";          ///< the labelled domain trained on
  std::vector<std::int64_t> head_hidden;  ///< hidden widths of the label head (empty: linear)

  static void declare(OptionSet<SourceOnlyOptions>& o) {
    o.add("domain", &SourceOnlyOptions::domain, "the `data:` domain whose labels are trained on");
    o.add("head_hidden", &SourceOnlyOptions::head_hidden, "hidden widths of the label head (empty: linear)").min(1);
  }
};

class SourceOnly : public Strategy {
 public:
  using Options = SourceOnlyOptions;
  explicit SourceOnly(Options options) : options_(std::move(options)) {}

  std::vector<StreamRequest> streams() const override;
  void setup(const SetupContext& ctx) override;
  std::vector<ParameterGroup> parameter_groups() override;
  StepReport train_step(StepContext& ctx) override;
  Metrics evaluate(const EvalContext& ctx) override;
  torch::Tensor features(const torch::Tensor& inputs) override { return backbone_->forward(inputs); }

 private:
  Options options_;
  std::shared_ptr<Backbone> backbone_;
  torch::nn::Sequential head_{nullptr};
};

}  // namespace graft
