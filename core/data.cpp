#include "core/data.h"

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

const torch::Tensor& Batch::target(const std::string& name) const {
  auto it = targets.find(name);
  if (it == targets.end())
    throw Error(fmt::format("batch has no target '{}' (targets: {}); is the stream labelled?", name,
                            joined_keys(targets)));
  return it->second;
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

BatchStream::BatchStream(const DataSet& data, const Split& split, std::int64_t batch_size, std::uint64_t seed,
                         bool labelled, torch::Device device)
    : data_(data), split_(split), batch_size_(batch_size), seed_(seed), labelled_(labelled), device_(device) {
  if (split.size() == 0) throw Error(fmt::format("data set '{}': a training split is empty", data.name));
  // Never ask for more than the split holds: small sets (two moons) get
  // full-batch steps rather than an error.
  batch_size_ = std::min(batch_size_, split.size());
  reshuffle();
}

std::int64_t BatchStream::batches_per_epoch() const { return split_.size() / batch_size_; }

void BatchStream::reshuffle() {
  // One generator per (stream seed, epoch): the order depends on nothing else.
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed_ * 1000003ULL + static_cast<std::uint64_t>(epoch_));
  order_ = torch::randperm(split_.size(), generator, torch::TensorOptions().dtype(torch::kInt64));
}

void BatchStream::restore(std::int64_t epoch, std::int64_t position) {
  epoch_ = epoch;
  position_ = position;
  reshuffle();
}

Batch BatchStream::next() {
  if (position_ + batch_size_ > split_.size()) {  // drop the ragged tail, start a new epoch
    ++epoch_;
    position_ = 0;
    reshuffle();
  }
  const torch::Tensor index = order_.slice(0, position_, position_ + batch_size_);
  position_ += batch_size_;
  Batch batch;
  batch.inputs = prepare_inputs(data_, split_.inputs.index_select(0, index), device_, /*augment=*/true);
  if (labelled_)
    for (const auto& [name, target] : split_.targets) batch.targets[name] = target.index_select(0, index).to(device_);
  return batch;
}

}  // namespace graft
