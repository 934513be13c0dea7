// The `arrays` data set on files Debian's python3-numpy writes: a .npz and a
// folder of .npy files, held-out splits seeded apart from the run, several
// targets, and the mistakes a user makes with their own arrays.
#include "datasets/arrays.h"

#include <cstdlib>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/experiment.h"
#include "core/sweep.h"
#include "tests/datasets/dataset_util.h"
#include "tests/test_util.h"

namespace graft::testing {
namespace {

/// 100 examples of 3 features in 4 classes, a per-example 2x2 "depth" map,
/// as train.npz, test.npz and the folder npy/ (x.npy, label.npy).
void write_arrays(const TempDir& dir) {
  const std::string script = dir.write("write.py", R"(import os, sys, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(0)
label = np.arange(100) % 4
x = (rng.normal(size=(100, 3)) + 3 * label[:, None]).astype("<f4")
depth = rng.random((100, 2, 2)).astype("<f8")
np.savez(os.path.join(d, "train.npz"), x=x, label=label, depth=depth)
np.savez_compressed(os.path.join(d, "test.npz"), x=x[:10], label=label[:10], depth=depth[:10])
os.makedirs(os.path.join(d, "npy"))
np.save(os.path.join(d, "npy", "x.npy"), x)
np.save(os.path.join(d, "npy", "label.npy"), label.astype("<i4"))
np.savez(os.path.join(d, "short.npz"), x=x, label=label[:99])
np.savez(os.path.join(d, "float_label.npz"), x=x, label=label.astype("<f4"))
np.savez(os.path.join(d, "negative.npz"), x=x, label=label - 1)
np.savez(os.path.join(d, "images.npz"), x=rng.integers(0, 256, (20, 1, 4, 4), dtype="u1"), label=np.arange(20) % 2)
)");
  ASSERT_EQ(std::system(("/usr/bin/python3 " + script + " " + dir.path()).c_str()), 0)
      << "the tests need Debian's python3-numpy (python3-torch brings it)";
}

TEST(Arrays, ANpzWithHeldOutSplitsAndSeveralTargets) {
  TempDir dir;
  write_arrays(dir);
  const auto data = make_dataset("{name: arrays, path: " + dir.file("train.npz") +
                                 ", targets: [label, depth], test: " + dir.file("test.npz") + "}");
  EXPECT_EQ(data->num_classes, 4);
  EXPECT_EQ(data->input_shape, (std::vector<std::int64_t>{3}));
  EXPECT_EQ(data->split("val").size(), 20);
  EXPECT_EQ(data->split("train").size(), 80);
  EXPECT_EQ(data->split("test").size(), 10);
  EXPECT_EQ(data->split("train").inputs.dtype(), torch::kFloat32);
  EXPECT_EQ(data->split("train").targets.at("label").dtype(), torch::kInt64);
  EXPECT_EQ(data->split("train").targets.at("depth").sizes(), (std::vector<std::int64_t>{80, 2, 2}));
  // The same rows are held out whatever the run's seed: only split_seed moves them.
  const auto other_seed = make_dataset("{name: arrays, path: " + dir.file("train.npz") + "}", 7);
  EXPECT_TRUE(torch::equal(other_seed->split("val").inputs, data->split("val").inputs));
  const auto other_split = make_dataset("{name: arrays, path: " + dir.file("train.npz") + ", split_seed: 1}");
  EXPECT_FALSE(torch::equal(other_split->split("val").inputs, data->split("val").inputs));
  // Every example lands in exactly one split.
  const auto all = torch::cat({data->split("train").inputs, data->split("val").inputs});
  EXPECT_EQ(std::get<0>(torch::unique_dim(all, 0)).size(0), 100);
}

TEST(Arrays, AFolderOfNpyFilesAndByteImages) {
  TempDir dir;
  write_arrays(dir);
  const auto folder = make_dataset("{name: arrays, path: " + dir.file("npy") + ", test_fraction: 0.1}");
  EXPECT_EQ(folder->split("test").size(), 10);
  EXPECT_EQ(folder->split("train").size(), 70);
  const auto images = make_dataset("{name: arrays, path: " + dir.file("images.npz") + ", holdout_fraction: 0}");
  EXPECT_EQ(images->split("train").inputs.dtype(), torch::kUInt8);  // scaled per batch, as built-in images are
  EXPECT_EQ(images->input_scale, 255.0);
  EXPECT_EQ(images->input_shape, (std::vector<std::int64_t>{1, 4, 4}));
}

TEST(Arrays, MistakesNameTheFileAndWhatItHolds) {
  TempDir dir;
  write_arrays(dir);
  const auto error_of = [&](const std::string& options) {
    try {
      make_dataset("{name: arrays, " + options + "}");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("loaded");
  };
  EXPECT_NE(error_of("path: " + dir.file("train.npz") + ", inputs: images")
                .find("train.npz: no array 'images'; it holds: depth, label, x"),
            std::string::npos);
  EXPECT_NE(error_of("path: " + dir.file("npy") + ", targets: [depth]").find("no depth.npy; the folder holds: label, x"),
            std::string::npos);
  EXPECT_NE(error_of("path: " + dir.file("short.npz")).find("'label' has 99 examples, 'x' has 100"), std::string::npos);
  EXPECT_NE(error_of("path: " + dir.file("float_label.npz")).find("class labels are whole numbers"),
            std::string::npos);
  EXPECT_NE(error_of("path: " + dir.file("negative.npz")).find("'label' holds -1"), std::string::npos);
  EXPECT_NE(error_of("path: " + dir.file("train.npz") + ", num_classes: 3").find("'label' holds 3, outside the 3"),
            std::string::npos);
  EXPECT_NE(error_of("path: " + dir.file("nowhere.npz")).find("no such file or folder"), std::string::npos);
}

TEST(Arrays, AnExperimentTrainsOnThemAndPathsAreReadBesideTheFile) {
  TempDir dir;
  write_arrays(dir);
  const std::string file = dir.write("exp.yaml", "name: own\noutput: " + dir.file("out") + R"(
data: {source: {name: arrays, path: train.npz, test: test.npz}}
model: {name: mlp, hidden: [16]}
method: source_only
optimizer: {name: sgd, lr: 0.1}
steps: 60
eval_every: 30
seeds: [0]
)");
  const SweepResult result = run_experiment(load_experiment(file, {}), {false});
  EXPECT_EQ(result.trained, 1);
  EXPECT_EQ(result.failed, 0);
}

}  // namespace
}  // namespace graft::testing
