#include "core/data.h"

#include <cmath>

#include <fmt/format.h>

#include "core/error.h"

namespace graft {

namespace {
template <class Map>
std::string joined_keys(const Map& map) {
  std::string out;
  for (const auto& key : keys_of(map)) out += (out.empty() ? "" : ", ") + key;
  return out.empty() ? "(none)" : out;
}
}  // namespace

std::uint64_t DataContext::domain_seed() const {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a of the domain name
  for (unsigned char c : domain) h = (h ^ c) * 1099511628211ULL;
  return seed * 0x9E3779B97F4A7C15ULL ^ h;
}

const Split& DataSet::split(const std::string& split_name) const {
  auto it = splits.find(split_name);
  if (it == splits.end())
    throw Error(fmt::format("data set '{}' has no split '{}'; it has: {}", name, split_name, joined_keys(splits)));
  return it->second;
}

const TransformPipeline* DataSet::transforms_for(const std::string& split_name) const {
  auto it = transforms.find(split_name);
  if (it == transforms.end()) it = transforms.find("test");
  return it == transforms.end() ? nullptr : it->second.get();
}

std::int64_t Split::size() const {
  if (reader) return reader->size();
  return inputs.defined() ? inputs.size(0) : 0;
}

namespace {
/// Some examples of another reader, by row.
class SelectedReader : public ExampleReader {
 public:
  SelectedReader(std::shared_ptr<const ExampleReader> all, const torch::Tensor& rows)
      : all_(std::move(all)), rows_(rows.to(torch::kInt64).contiguous()) {}
  std::int64_t size() const override { return rows_.numel(); }
  std::string describe(std::int64_t index) const override { return all_->describe(row(index)); }
  torch::Tensor read(std::int64_t index,
                     const std::function<ImagePlan(std::int64_t, std::int64_t)>& plan_for) const override {
    return all_->read(row(index), plan_for);
  }
  bool skip_unreadable() const override { return all_->skip_unreadable(); }

 private:
  std::int64_t row(std::int64_t index) const { return rows_.data_ptr<std::int64_t>()[index]; }
  std::shared_ptr<const ExampleReader> all_;
  torch::Tensor rows_;
};
}  // namespace

Split Split::select(const torch::Tensor& rows) const {
  Split out;
  if (reader)
    out.reader = std::make_shared<SelectedReader>(reader, rows);
  else
    out.inputs = inputs.index_select(0, rows);
  for (const auto& [name, t] : targets) out.targets[name] = t.index_select(0, rows);
  return out;
}

ImagePlan ImagePlan::whole(std::int64_t width, std::int64_t height) {
  ImagePlan plan;
  plan.width = width;
  plan.height = height;
  plan.x1 = static_cast<double>(width);
  plan.y1 = static_cast<double>(height);
  return plan;
}

void ImagePlan::crop(double left, double top, double w, double h) {
  // The current image maps linearly onto the box; so does any part of it.
  // A flip planned earlier mirrors the current image: mirror the part too.
  if (flip) left = static_cast<double>(width) - left - w;
  const double sx = (x1 - x0) / static_cast<double>(width), sy = (y1 - y0) / static_cast<double>(height);
  const double nx0 = x0 + left * sx, ny0 = y0 + top * sy;
  x0 = nx0, y0 = ny0, x1 = nx0 + w * sx, y1 = ny0 + h * sy;
  width = static_cast<std::int64_t>(std::lround(w));
  height = static_cast<std::int64_t>(std::lround(h));
}

const torch::Tensor& Batch::target(const std::string& name) const {
  auto it = targets.find(name);
  if (it == targets.end())
    throw Error(fmt::format("batch has no target '{}' (targets: {}); is the stream labelled?", name,
                            joined_keys(targets)));
  return it->second;
}

HeldOutRows hold_out_rows(std::int64_t n, double val_fraction, double test_fraction, std::uint64_t split_seed) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(split_seed);
  const torch::Tensor order = torch::randperm(n, generator, torch::kInt64);
  const auto val = static_cast<std::int64_t>(val_fraction * static_cast<double>(n));
  const auto test = static_cast<std::int64_t>(test_fraction * static_cast<double>(n));
  if (n - val - test <= 0)
    throw Error(fmt::format("{} examples leave none to train on after holding out {} + {}", n, val, test));
  auto sorted = [](const torch::Tensor& rows) { return std::get<0>(rows.sort()); };
  return {sorted(order.slice(0, val + test, n)), sorted(order.slice(0, 0, val)), sorted(order.slice(0, val, val + test))};
}

namespace {
torch::Tensor apply_augmentation(const Augmentation& augment, torch::Tensor x) {
  if (x.dim() != 4) return x;  // images only: [B, C, H, W]
  if (augment.crop_padding > 0) {
    const std::int64_t p = augment.crop_padding, h = x.size(2), w = x.size(3);
    const auto padded = torch::constant_pad_nd(x, {p, p, p, p}, 0);
    const auto offsets = torch::randint(0, 2 * p + 1, {x.size(0), 2}, torch::kInt64);
    auto out = torch::empty_like(x);
    const auto* o = offsets.data_ptr<std::int64_t>();
    for (std::int64_t i = 0; i < x.size(0); ++i)
      out[i].copy_(padded[i].narrow(1, o[2 * i], h).narrow(2, o[2 * i + 1], w));
    x = out;
  }
  if (augment.horizontal_flip) {
    const auto flip = torch::rand({x.size(0)}) < 0.5;
    x = torch::where(flip.view({-1, 1, 1, 1}), x.flip({3}), x);
  }
  return x;
}
}  // namespace

torch::Tensor prepare_inputs(const DataSet& data, const torch::Tensor& raw, const torch::Device& device,
                             bool augment) {
  torch::Tensor x = raw.to(torch::kFloat32);
  if (augment && data.augment.any()) x = apply_augmentation(data.augment, x);
  if (data.input_scale != 1.0) x = x / data.input_scale;
  if (!data.mean.empty()) {
    // Per-channel normalisation over dimension 1 of [B, C, ...].
    std::vector<std::int64_t> shape(static_cast<std::size_t>(x.dim()), 1);
    shape[1] = static_cast<std::int64_t>(data.mean.size());
    const auto mean = torch::tensor(data.mean, torch::kFloat32).view(shape);
    const auto std = torch::tensor(data.std, torch::kFloat32).view(shape);
    x = (x - mean) / std;
  }
  return x.to(device);
}

}  // namespace graft
