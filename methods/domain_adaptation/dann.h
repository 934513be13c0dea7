#pragma once
// DANN: domain-adversarial training of neural networks (Ganin et al., JMLR
// 2016). A label classifier on the source and a domain classifier on source
// and target features; the domain loss reaches the feature extractor through
// a gradient-reversal layer, so the features become domain-invariant:
//   E = L_y(source) - lambda * (L_d(source) + L_d(target))        (eq. 9)
// implemented as L_y + L_d with R_lambda in front of the domain head.

#include <string>
#include <vector>

#include "core/options.h"
#include "core/strategy.h"

namespace graft {

struct DannOptions {
  std::string source = "source";           ///< labelled domain
  std::string target = "target";           ///< unlabelled domain
  std::string lambda_schedule = "progressive";
  double lambda_max = 1.0;                 ///< lambda at the end of training
  double gamma = 10.0;                     ///< steepness of the progressive schedule
  std::vector<std::int64_t> head_hidden;   ///< label head hidden widths
  std::vector<std::int64_t> domain_hidden{100};  ///< domain head: fc100-fc1 as in the paper's MNIST network
  double domain_weight = 1.0;              ///< weight of L_d for the domain head itself (the paper: 1)

  static void declare(OptionSet<DannOptions>& o) {
    o.add("source", &DannOptions::source, "labelled `data:` domain");
    o.add("target", &DannOptions::target, "unlabelled `data:` domain (its labels are never read)");
    o.add("lambda_schedule", &DannOptions::lambda_schedule,
          "progressive: lambda_max (2/(1+exp(-gamma p)) - 1); constant: lambda_max throughout")
        .choices({"progressive", "constant"});
    o.add("lambda_max", &DannOptions::lambda_max, "final weight of the reversed domain gradient").min(0.0);
    o.add("gamma", &DannOptions::gamma, "gamma of the progressive lambda schedule (paper: 10)").min(0.0);
    o.add("head_hidden", &DannOptions::head_hidden, "hidden widths of the label head (empty: linear)").min(1);
    o.add("domain_hidden", &DannOptions::domain_hidden, "hidden widths of the domain classifier").min(1);
    o.add("domain_weight", &DannOptions::domain_weight, "weight of the domain loss (paper: 1)").min(0.0);
  }
};

class Dann : public Strategy {
 public:
  using Options = DannOptions;
  explicit Dann(Options options) : options_(std::move(options)) {}

  std::vector<StreamRequest> streams() const override;
  void setup(const SetupContext& ctx) override;
  std::vector<ParameterGroup> parameter_groups() override;
  StepReport train_step(StepContext& ctx) override;
  Metrics evaluate(const EvalContext& ctx) override;

  /// lambda at training progress p.
  double lambda_at(double progress) const;

 private:
  Options options_;
  std::shared_ptr<Backbone> backbone_;
  torch::nn::Sequential label_head_{nullptr};
  torch::nn::Sequential domain_head_{nullptr};
};

}  // namespace graft
