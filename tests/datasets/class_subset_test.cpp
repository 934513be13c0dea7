#include "datasets/class_subset.h"

#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/registries.h"
#include "tests/test_util.h"

namespace graft {
namespace {

using testing::expect_error_containing;

std::shared_ptr<DataSet> make_subset(const std::string& yaml, const std::string& domain = "target") {
  return dataset_registry().create(parse_config_text(yaml, "e.yaml"), "data." + domain,
                                   DataContext{3, "", domain});
}

TEST(ClassSubset, KeepsTheExamplesOfTheClassesListedWithTheirLabels) {
  const auto all = make_subset("{name: blobs, rotation: 25}");
  const auto part = make_subset("{name: class_subset, of: {name: blobs, rotation: 25}, keep: [4, 0, 2]}");
  // The label space ends at the largest class kept; labels are unchanged.
  EXPECT_EQ(part->num_classes, 5);
  EXPECT_EQ(part->unknown_class, -1);
  for (const char* split : {"train", "val", "test"}) {
    const auto& labels = all->split(split).targets.at("label");
    const auto rows = labels.eq(0).logical_or(labels.eq(2)).logical_or(labels.eq(4)).nonzero().squeeze(1);
    // The same examples as the whole set: the subset draws what the set draws.
    EXPECT_TRUE(torch::equal(part->split(split).inputs, all->split(split).inputs.index_select(0, rows))) << split;
    EXPECT_TRUE(torch::equal(part->split(split).targets.at("label"), labels.index_select(0, rows))) << split;
  }
  EXPECT_EQ(part->input_shape, all->input_shape);
}

TEST(ClassSubset, UnknownClassesBecomeOneLabelPastTheKnownOnes) {
  const auto all = make_subset("{name: blobs}");
  const auto open = make_subset("{name: class_subset, of: {name: blobs}, unknown: [5, 4]}");
  EXPECT_EQ(open->num_classes, 5);
  EXPECT_EQ(open->unknown_class, 4);
  const auto& labels = all->split("test").targets.at("label");
  const auto expected = torch::where(labels.ge(4), torch::full_like(labels, 4), labels);
  EXPECT_TRUE(torch::equal(open->split("test").targets.at("label"), expected));
  EXPECT_TRUE(torch::equal(open->split("test").inputs, all->split("test").inputs));
}

// TLlib's Office-31 protocol: 10 known classes, the next 10 dropped, the
// rest unknown; here on 6 blobs: known 0, 1; 2, 3 dropped; 4, 5 unknown.
TEST(ClassSubset, KeepAndUnknownTogetherDropTheClassesBetween) {
  const auto open = make_subset("{name: class_subset, of: {name: blobs}, keep: [0, 1, 4, 5], unknown: [4, 5]}");
  EXPECT_EQ(open->num_classes, 3);
  EXPECT_EQ(open->unknown_class, 2);
  const auto counts = torch::bincount(open->split("train").targets.at("label"));
  EXPECT_TRUE(torch::equal(counts, torch::tensor({50, 50, 100}, torch::kInt64)));
}

TEST(ClassSubset, ErrorsNameTheFileTheKeyAndTheValidClasses) {
  expect_error_containing<ConfigError>([] { make_subset("{name: class_subset, of: {name: blobs}, keep: [0, 7]}"); },
                      "e.yaml:1:51: data.target.keep[1]: 7 is not a class of 'blobs': its labels are 0..5");
  expect_error_containing<ConfigError>([] { make_subset("{name: class_subset, of: {name: blobs}, keep: [1, 1]}"); },
                      "listed twice");
  expect_error_containing<ConfigError>([] { make_subset("{name: class_subset, of: {name: blobs}, keep: [0, 1], unknown: [2]}"); },
                      "class 2 is not kept");
  expect_error_containing<ConfigError>([] { make_subset("{name: class_subset, of: {name: blobs}, unknown: [0, 5]}"); },
                      "the known classes (1, 2, 3, 4) must be 0..3");
  expect_error_containing<ConfigError>([] { make_subset("{name: class_subset, keep: [0]}"); }, "data.target.of:");
  expect_error_containing<ConfigError>([] { make_subset("{name: class_subset, of: {name: blobs, clases: 3}}"); }, "clases");
  expect_error_containing<ConfigError>(
      [] { make_subset("{name: class_subset, of: {name: class_subset, of: {name: blobs}, unknown: [5]}, unknown: [4]}"); },
      "already open-set");
}

}  // namespace
}  // namespace graft
