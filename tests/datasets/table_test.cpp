#include "datasets/table.h"

#include <fstream>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/registries.h"
#include "core/experiment.h"
#include "core/runtime.h"
#include "core/trainer.h"
#include "tests/datasets/data_test_util.h"
#include "tests/test_util.h"

namespace graft {
namespace {

using testing::TempDir;
using testing::error_text;
using testing::load_data;


TEST(Table, ReadsTheRealDigitsWrittenAsCsv) {
  // scikit-learn's digits (a real file) written as a CSV with a header.
  const auto digits = load_data("{name: uci_digits}");
  const auto& images = digits->split("train").inputs;
  const auto& labels = digits->split("train").targets.at("label");
  TempDir dir;
  {
    std::ofstream csv(dir.file("digits.csv"));
    for (int p = 0; p < 64; ++p) csv << "p" << p << ',';
    csv << "label\n";
    const auto flat = images.flatten(1);
    for (std::int64_t i = 0; i < flat.size(0); ++i) {
      for (std::int64_t p = 0; p < 64; ++p) csv << static_cast<int>(flat[i][p].item<std::uint8_t>()) << ',';
      csv << labels[i].item<std::int64_t>() << '\n';
    }
  }
  const auto table = load_data("{name: table, path: " + dir.file("digits.csv") + ", standardize: false}");
  EXPECT_EQ(table->input_shape, (std::vector<std::int64_t>{64}));
  EXPECT_EQ(table->num_classes, 10);
  EXPECT_TRUE(torch::equal(table->split("train").inputs, images.flatten(1).to(torch::kFloat32)));
  EXPECT_TRUE(torch::equal(table->split("train").targets.at("label"), labels));
  const auto held = load_data("{name: table, path: " + dir.file("digits.csv") + ", holdout_fraction: 0.2}");
  EXPECT_EQ(held->split("val").size(), images.size(0) / 5);
  EXPECT_EQ(held->mean.size(), 64u);  // standardised by the training rows
}

TEST(Table, NamedClassesRegressionTargetsAndQuoting) {
  TempDir dir;
  dir.write("t.tsv", "size\tcolour\tlabel\tdays\n1.5\t2\tsetosa\t3.25\n2\t\"7\"\tvirginica\t1\n3\t1e1\tsetosa\t0\n");
  const auto t = load_data("{name: table, path: " + dir.file("t.tsv") + ", targets: [label, days], standardize: false}");
  EXPECT_EQ(t->class_names, (std::vector<std::string>{"setosa", "virginica"}));
  EXPECT_EQ(t->num_classes, 2);
  EXPECT_TRUE(torch::equal(t->split("train").targets.at("label"), torch::tensor({0, 1, 0}, torch::kInt64)));
  EXPECT_EQ(t->split("train").targets.at("days").scalar_type(), torch::kFloat32);
  EXPECT_FLOAT_EQ(t->split("train").inputs[2][1].item<float>(), 10.0f);
}

TEST(Table, SeveralTargetsTrainAMultiTaskRun) {
  // The real digits again, with a regression target beside the class: the ink of each image.
  const auto digits = load_data("{name: uci_digits}");
  const auto flat = digits->split("train").inputs.flatten(1).to(torch::kInt64);
  TempDir dir;
  {
    std::ofstream csv(dir.file("digits.csv"));
    for (int p = 0; p < 64; ++p) csv << "p" << p << ',';
    csv << "label,ink\n";
    for (std::int64_t i = 0; i < flat.size(0); ++i) {
      for (std::int64_t p = 0; p < 64; ++p) csv << flat[i][p].item<std::int64_t>() << ',';
      csv << digits->split("train").targets.at("label")[i].item<std::int64_t>() << ','
          << flat[i].sum().item<std::int64_t>() / 100.0 << '\n';
    }
  }
  const auto file = dir.write("e.yaml", "data: {source: {name: table, path: digits.csv, targets: [label, ink], "
                                        "test_fraction: 0.2}}\n"
                                        "model: {name: mlp, hidden: [32]}\n"
                                        "method: {name: equal}\n"
                                        "tasks: {label: {}, ink: {loss: mse}}\n"
                                        "optimizer: {name: adam, lr: 0.01}\n"
                                        "steps: 200\nthreads: 1\ncheckpoint_every: 0\n");
  const RunRecord r = train_run(load_experiment(file, {}).runs[0], dir.file("run"), {false, ""});
  ASSERT_EQ(r.status, "finished") << r.message;
  EXPECT_GT(r.final_metrics.at("label.test_acc"), 0.5);  // chance is 0.1; an MLP gets above 0.9
  EXPECT_TRUE(r.final_metrics.count("ink.test_mse"));
}

TEST(Table, BadCellsNameTheFileLineAndColumn) {
  TempDir dir;
  dir.write("a.csv", "x,y,label\n1,2,0\n3,four,1\n");
  const auto word = error_text([&] { load_data("{name: table, path: " + dir.file("a.csv") + "}"); });
  EXPECT_NE(word.find("a.csv:3: column 'y' is 'four', not a number"), std::string::npos) << word;
  dir.write("b.csv", "x,y,label\n1,2,0\n3,4\n");
  const auto short_row = error_text([&] { load_data("{name: table, path: " + dir.file("b.csv") + "}"); });
  EXPECT_NE(short_row.find("b.csv:3: 2 cells, the header has 3"), std::string::npos) << short_row;
  dir.write("c.csv", "x,y,lable\n1,2,0\n");
  const auto column = error_text([&] { load_data("{name: table, path: " + dir.file("c.csv") + "}"); });
  EXPECT_NE(column.find("no column 'label'"), std::string::npos) << column;
  EXPECT_NE(column.find("lable"), std::string::npos) << column;  // the nearest choice
  dir.write("d.csv", "x,label\n1,0\n2,1\n");
  dir.write("e.csv", "x,label\n1,0\n2,1.5\n");
  const auto test = error_text([&] { load_data("{name: table, path: " + dir.file("d.csv") + ", test: " + dir.file("e.csv") + "}"); });
  EXPECT_NE(test.find("e.csv:3: 'label' is '1.5', not a class index"), std::string::npos) << test;
}

}  // namespace
}  // namespace graft
