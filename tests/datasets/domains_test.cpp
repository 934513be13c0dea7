#include "datasets/domains.h"

#include <filesystem>
#include <sstream>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/loader.h"
#include "core/runtime.h"
#include "datasets/data_tools.h"
#include "tests/datasets/data_test_util.h"
#include "tests/test_util.h"

namespace graft {
namespace {

using testing::error_text;
using testing::load_data;
using testing::TempDir;

TEST(Domains, ConcatenatesPartsAndBalancesThemWhenAsked) {
  // Two "domains" of real images: the exported digits' train (1,197) and val (300) folders.
  TempDir dir;
  std::ostringstream log;
  export_dataset("uci_digits", dir.file("digits"), "image_folder", data_cache_dir(), log);
  const auto both = load_data("{name: domains, parts: {big: {name: image_folder, root: " + dir.file("digits/train") +
                              "}, small: {name: image_folder, root: " + dir.file("digits/val") +
                              "}}, transforms: {test: [grayscale]}}");
  EXPECT_EQ(both->split("train").size(), 1497);
  EXPECT_EQ(both->input_shape, (std::vector<std::int64_t>{1, 8, 8}));  // the set's own transforms
  EXPECT_EQ(both->split("train").targets.at("domain").eq(1).sum().item<std::int64_t>(), 300);
  const auto& part_names = dynamic_cast<const Domains&>(*both).part_names;
  EXPECT_EQ(part_names, (std::vector<std::string>{"big", "small"}));
  auto share_of_small = [&](const std::string& sampler) {
    StreamOptions o;
    o.batch_size = 100;
    o.sampler = sampler;
    o.loader = {2, 2};
    BatchStream stream(*both, "train", o, torch::kCPU);
    double small = 0;
    for (int i = 0; i < 10; ++i) small += stream.next().target("domain").eq(1).sum().item<double>();
    return small / 1000;
  };
  EXPECT_NEAR(share_of_small("shuffled"), 0.2, 0.05);        // 300 of 1,497
  EXPECT_NEAR(share_of_small("domain_balanced"), 0.5, 0.06);  // binomial(1000, 1/2): sd 0.016
}

TEST(Domains, PartsMustAgree) {
  TempDir dir;
  std::ostringstream log;
  export_dataset("uci_digits", dir.file("digits"), "image_folder", data_cache_dir(), log);
  std::filesystem::remove_all(dir.file("digits/val/9"));  // one class fewer
  const auto e = error_text([&] {
    load_data("{name: domains, parts: {a: {name: image_folder, root: " + dir.file("digits/train") +
              "}, b: {name: image_folder, root: " + dir.file("digits/val") + "}}}");
  });
  EXPECT_NE(e.find("'a' and 'b' differ in their classes"), std::string::npos) << e;
  EXPECT_NE(error_text([&] { load_data("{name: domains, parts: {a: two_moons}}"); }).find("two or more"),
            std::string::npos);
}

}  // namespace
}  // namespace graft
