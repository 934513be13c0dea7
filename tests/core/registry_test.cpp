#include "core/registry.h"

#include <gtest/gtest.h>

#include "core/registries.h"

namespace graft {
namespace {

// Registrations must survive linking: every built-in is found by name.
TEST(Registry, EveryBuiltInIsRegistered) {
  const std::map<std::string, std::vector<std::string>> expected{
      {"method", {"source_only", "dann", "cdan", "deep_coral", "dan", "mcc", "jan", "afn", "bsp", "mdd", "mcd", "adda",
                  "fixmatch", "shot", "target_oracle", "osbp", "iwan", "pada", "equal", "single_task",
                  "uncertainty", "dwa", "gradnorm", "pcgrad", "mgda", "cagrad", "finetune", "linear_probe",
                  "lp_ft", "l2_sp", "bss", "gradual_unfreeze", "no_mapping", "procrustes", "adversarial", "self_learning",
                  "vecmap"}},
      {"model", {"mlp", "dann_mnist", "lenet", "pretrained", "torchscript"}},
      {"dataset", {"two_moons", "mnist", "fashion_mnist", "uci_digits", "mnist_m", "fashion_mnist_m", "multi_mnist",
                   "multi_fashion", "word_vectors", "bilingual_dictionary", "parallel_sentences", "arrays", "image_folder", "image_list", "domains",
                   "table", "blobs", "class_subset"}},
      {"optimizer", {"sgd", "adam", "adamw"}},
      {"schedule", {"constant", "dann_annealing", "cosine", "step"}},
      {"transform", {"resize", "center_crop", "random_resized_crop", "horizontal_flip", "random_crop", "color_jitter",
                     "normalize", "grayscale"}},
  };
  for (auto* registry : all_registries()) {
    ASSERT_TRUE(expected.count(registry->kind())) << registry->kind();
    for (const auto& name : expected.at(registry->kind()))
      EXPECT_TRUE(registry->contains(name)) << registry->kind() << " " << name;
  }
}

TEST(Registry, EveryEntryHasHelp) {
  for (auto* registry : all_registries())
    for (const auto& name : registry->names()) EXPECT_FALSE(registry->help(name).empty()) << name;
}

struct Thing {
  virtual ~Thing() = default;
};
struct ThingOptions {
  std::int64_t size = 1;
  static void declare(OptionSet<ThingOptions>& o) { o.add("size", &ThingOptions::size, "size").min(1); }
};
struct Box : Thing {
  using Options = ThingOptions;
  explicit Box(Options o) : size(o.size) {}
  std::int64_t size;
};

TEST(Registry, CreatesWithOptionsAndRejectsDuplicates) {
  Registry<Thing> registry("thing");
  Registration<Box> first(registry, "box", "a box");
  auto made = registry.create(parse_config_text("{name: box, size: 4}", "t"), "thing");
  EXPECT_EQ(std::dynamic_pointer_cast<Box>(made)->size, 4);
  EXPECT_THROW(Registration<Box>(registry, "box", "again"), Error);
}

TEST(Registry, UnknownNameListsKnownNamesAndNearest) {
  Registry<Thing> registry("thing");
  Registration<Box> box(registry, "box", "a box");
  try {
    registry.create(parse_config_text("{name: bxo}", "f.yaml"), "thing");
    FAIL();
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("f.yaml:1:8"), std::string::npos) << m;
    EXPECT_NE(m.find("thing.name"), std::string::npos) << m;
    EXPECT_NE(m.find("valid choices: box"), std::string::npos) << m;
    EXPECT_NE(m.find("Did you mean 'box'"), std::string::npos) << m;
  }
}

TEST(Registry, ResolveFillsDefaults) {
  Registry<Thing> registry("thing");
  Registration<Box> box(registry, "box", "a box");
  const ConfigNode resolved = registry.resolve(ConfigNode::scalar("box"), "thing");
  EXPECT_EQ(resolved.find("size")->text(), "1");
}

}  // namespace
}  // namespace graft
