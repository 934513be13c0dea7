#include "core/loader.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/transforms.h"
#include "tests/core/image_reader_util.h"

namespace graft {
namespace {

DataSet counting_set(std::int64_t n) {
  DataSet d;
  d.name = "count";
  d.input_shape = {1};
  Split s;
  s.inputs = torch::arange(n, torch::kFloat32).unsqueeze(1);
  s.targets["label"] = torch::arange(n, torch::kInt64);
  d.splits["train"] = s;
  return d;
}

StreamOptions options(std::int64_t batch, std::uint64_t seed, bool labelled = true) {
  StreamOptions o;
  o.batch_size = batch;
  o.seed = seed;
  o.labelled = labelled;
  return o;
}

TEST(BatchStream, EachEpochVisitsEveryExampleOnceAndResumesExactly) {
  const DataSet d = counting_set(10);
  BatchStream stream(d, "train", options(5, 42), torch::kCPU);
  std::vector<std::int64_t> seen;
  for (int i = 0; i < 2; ++i) {
    const auto b = stream.next().target();
    seen.insert(seen.end(), b.data_ptr<std::int64_t>(), b.data_ptr<std::int64_t>() + 5);
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  const auto after = stream.next().target();
  BatchStream resumed(d, "train", options(5, 42), torch::kCPU);
  resumed.restore(1, 5);
  resumed.next();  // position 5 of epoch 1 is the batch after `after`
  BatchStream again(d, "train", options(5, 42), torch::kCPU);
  again.restore(1, 0);
  EXPECT_TRUE(torch::equal(again.next().target(), after));
}

TEST(BatchStream, UnlabelledStreamsHideTargets) {
  const DataSet d = counting_set(4);
  BatchStream stream(d, "train", options(2, 0, false), torch::kCPU);
  EXPECT_TRUE(stream.next().targets.empty());
  EXPECT_THROW(stream.next().target(), Error);
}

/// 23 images of different sizes read through random transforms, labelled i % 3.
DataSet disk_set(std::set<std::int64_t> unreadable = {}, bool skip = false) {
  DataSet d;
  d.name = "disk";
  Split s;
  s.reader = std::make_shared<testing::TensorImages>(testing::random_images(23), unreadable, skip);
  s.targets["label"] = torch::arange(23, torch::kInt64).remainder(3);
  d.splits["train"] = s;
  const auto lists = OptionTraits<TransformLists>::parse(
      parse_config_text("{train: [{name: random_resized_crop, size: 8}, horizontal_flip, "
                        "{name: color_jitter, brightness: 0.4, hue: 0.1}]}",
                        "test"),
      "transforms");
  d.transforms = lists.build("transforms");
  d.input_shape = {3, 8, 8};
  return d;
}

std::vector<Batch> draw(BatchStream& stream, int count) {
  std::vector<Batch> out;
  for (int i = 0; i < count; ++i) out.push_back(stream.next());
  return out;
}

TEST(BatchStream, InputsReadFromDiskDoNotDependOnTheNumberOfWorkers) {
  const DataSet d = disk_set();
  std::vector<std::vector<Batch>> runs;
  for (std::int64_t workers : {0, 1, 3}) {
    StreamOptions o = options(5, 9);
    o.loader = {workers, 2};
    BatchStream stream(d, "train", o, torch::kCPU);
    runs.push_back(draw(stream, 10));  // more than two epochs of 4 batches
  }
  for (std::size_t r = 1; r < runs.size(); ++r)
    for (std::size_t b = 0; b < runs[0].size(); ++b) {
      ASSERT_TRUE(torch::equal(runs[r][b].inputs, runs[0][b].inputs)) << "workers run " << r << " batch " << b;
      ASSERT_TRUE(torch::equal(runs[r][b].target(), runs[0][b].target()));
    }
  // The transforms are random: epochs differ in their inputs, not only their order.
  EXPECT_FALSE(torch::equal(runs[0][0].inputs, runs[0][4].inputs));
}

TEST(BatchStream, AResumedStreamReadsFromDiskExactlyWhatItWouldHaveRead) {
  const DataSet d = disk_set();
  StreamOptions o = options(5, 4);
  o.loader = {2, 3};
  BatchStream straight(d, "train", o, torch::kCPU);
  const auto expected = draw(straight, 9);
  BatchStream resumed(d, "train", o, torch::kCPU);
  draw(resumed, 2);
  resumed.restore(1, 5);  // as a checkpoint at (epoch 1, position 5) says: the 6th batch onwards
  for (int b = 5; b < 9; ++b) {
    const auto batch = resumed.next();
    ASSERT_TRUE(torch::equal(batch.inputs, expected[static_cast<std::size_t>(b)].inputs)) << b;
  }
}

TEST(BatchStream, AnUnreadableImageNamesItsFileOrIsSkippedAndCounted) {
  const DataSet broken = disk_set({3});
  StreamOptions o = options(23, 0);
  o.loader = {2, 2};
  BatchStream stream(broken, "train", o, torch::kCPU);
  try {
    stream.next();
    FAIL() << "an unreadable image must fail the batch";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("image3.png: not a readable PNG"), std::string::npos) << e.what();
  }
  const DataSet skipping = disk_set({3}, true);
  BatchStream tolerant(skipping, "train", o, torch::kCPU);
  const auto batch = tolerant.next();
  EXPECT_EQ(batch.size(), 23);
  // Image 3 was replaced by image 4, and so was its label.
  const auto labels = batch.target();
  EXPECT_EQ(labels.eq(0).sum().item<std::int64_t>(), 7);  // 0, 6, ..., 21 less image 3
  EXPECT_EQ(labels.eq(1).sum().item<std::int64_t>(), 9);  // 1, 4, ... plus image 4 twice
}

TEST(ForEachBatch, VisitsEverySplitExampleOnceInOrder) {
  DataSet d = disk_set();
  const auto lists = OptionTraits<TransformLists>::parse(
      parse_config_text("{test: [{name: resize, size: [6, 6]}]}", "test"), "transforms");
  d.transforms = lists.build("transforms");
  std::vector<torch::Tensor> labels;
  for_each_batch(d, "train", 10, torch::kCPU, LoaderOptions{2, 2}, [&](const Batch& b) {
    EXPECT_EQ(b.inputs.size(2), 6);
    labels.push_back(b.target());
  });
  ASSERT_EQ(labels.size(), 3u);  // 10 + 10 + 3
  EXPECT_TRUE(torch::equal(torch::cat(labels), torch::arange(23, torch::kInt64).remainder(3)));
}

}  // namespace
}  // namespace graft
