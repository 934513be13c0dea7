// Built-in learning-rate schedules.
#include "core/schedule.h"

#include <cmath>

#include "core/registries.h"

namespace graft {
namespace {

struct ConstantSchedule : Schedule {
  using Options = NoOptions;
  explicit ConstantSchedule(NoOptions) {}
  double factor(std::int64_t, std::int64_t) const override { return 1.0; }
};

struct DannAnnealingOptions {
  double alpha = 10.0;
  double beta = 0.75;
  static void declare(OptionSet<DannAnnealingOptions>& o) {
    o.add("alpha", &DannAnnealingOptions::alpha, "alpha of mu_p = mu_0 / (1 + alpha p)^beta").min(0.0);
    o.add("beta", &DannAnnealingOptions::beta, "beta of mu_p = mu_0 / (1 + alpha p)^beta").min(0.0);
  }
};

/// Ganin et al., JMLR 2016, sec. 5.2.2: mu_p = mu_0 / (1 + alpha p)^beta.
struct DannAnnealingSchedule : Schedule {
  using Options = DannAnnealingOptions;
  explicit DannAnnealingSchedule(Options o) : options(o) {}
  double factor(std::int64_t step, std::int64_t total) const override {
    return 1.0 / std::pow(1.0 + options.alpha * training_progress(step, total), options.beta);
  }
  Options options;
};

struct CosineOptions {
  double min_factor = 0.0;
  std::int64_t warmup_steps = 0;
  static void declare(OptionSet<CosineOptions>& o) {
    o.add("min_factor", &CosineOptions::min_factor, "multiplier reached at the last step").min(0.0).max(1.0);
    o.add("warmup_steps", &CosineOptions::warmup_steps, "linear warm-up from 0 over this many steps").min(0);
  }
};

/// Cosine decay (Loshchilov & Hutter 2017, without restarts), optional warm-up.
struct CosineSchedule : Schedule {
  using Options = CosineOptions;
  explicit CosineSchedule(Options o) : options(o) {}
  double factor(std::int64_t step, std::int64_t total) const override {
    if (step < options.warmup_steps) return static_cast<double>(step + 1) / static_cast<double>(options.warmup_steps);
    const double p = training_progress(step - options.warmup_steps, total - options.warmup_steps);
    return options.min_factor + (1.0 - options.min_factor) * 0.5 * (1.0 + std::cos(M_PI * p));
  }
  Options options;
};

struct StepDecayOptions {
  std::int64_t every = 1000;
  double gamma = 0.1;
  static void declare(OptionSet<StepDecayOptions>& o) {
    o.add("every", &StepDecayOptions::every, "steps between two decays").min(1);
    o.add("gamma", &StepDecayOptions::gamma, "multiplier applied at each decay").above(0.0);
  }
};

struct StepDecaySchedule : Schedule {
  using Options = StepDecayOptions;
  explicit StepDecaySchedule(Options o) : options(o) {}
  double factor(std::int64_t step, std::int64_t) const override {
    return std::pow(options.gamma, static_cast<double>(step / options.every));
  }
  Options options;
};

}  // namespace

GRAFT_REGISTER_SCHEDULE(ConstantSchedule, "constant", "the optimizer's learning rate, unchanged");
GRAFT_REGISTER_SCHEDULE(DannAnnealingSchedule, "dann_annealing",
                        "mu_0 / (1 + alpha p)^beta over the real steps (Ganin et al. 2016)");
GRAFT_REGISTER_SCHEDULE(CosineSchedule, "cosine", "cosine decay to min_factor, optional linear warm-up");
GRAFT_REGISTER_SCHEDULE(StepDecaySchedule, "step", "multiply by gamma every `every` steps");

}  // namespace graft
