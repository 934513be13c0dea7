#include "core/loader.h"

#include <omp.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

#include <ATen/Parallel.h>
#include <fmt/format.h>

#include "core/error.h"
#include "core/transforms.h"

namespace graft {

// Named (not anonymous): ExampleLoader::State holds these.
namespace loader_detail {

/// One batch on its way: examples decoded by whichever worker takes them.
struct Pending {
  BatchPlan plan;
  std::vector<torch::Tensor> examples;
  std::int64_t next_slot = 0;  ///< the next example a worker may take
  std::int64_t remaining = 0;  ///< examples not yet decoded
  torch::Tensor inputs;        ///< stacked once the last example is in
  std::exception_ptr error;
  bool done = false;
};

std::string example_error(const ExampleReader& reader, std::int64_t index, const std::exception& e) {
  const std::string file = reader.describe(index), message = library_message(e);
  return message.find(file) == std::string::npos ? fmt::format("{}: {}", file, message) : message;
}

}  // namespace loader_detail

using loader_detail::example_error;
using loader_detail::Pending;

struct ExampleLoader::State {
  const ExampleReader* reader;
  std::shared_ptr<const TransformPipeline> no_transforms = std::make_shared<TransformPipeline>(
      std::vector<std::shared_ptr<const Transform>>{});
  const TransformPipeline* pipeline;
  std::uint64_t seed;
  LoaderOptions options;
  bool pin_memory;
  std::function<std::optional<BatchPlan>()> next_plan;

  std::mutex mutex;
  std::condition_variable work, finished;
  std::deque<std::shared_ptr<Pending>> queue;
  bool stop = false, exhausted = false;
  std::atomic<std::int64_t> skipped{0};
  std::vector<std::thread> threads;

  /// Decodes example `slot` of `batch`; with skipping allowed, an unreadable
  /// image is replaced by the next readable one after it.
  torch::Tensor decode(Pending& batch, std::int64_t slot) {
    auto* indices = batch.plan.indices.data_ptr<std::int64_t>();
    const std::int64_t n = reader->size();
    std::int64_t index = indices[slot];
    for (std::int64_t attempt = 0;; ++attempt) {
      try {
        ExampleRandom random(seed, batch.plan.epoch, index);
        auto x = pipeline->load(*reader, index, random);
        indices[slot] = index;
        return x;
      } catch (const std::exception& e) {
        if (!reader->skip_unreadable() || attempt + 1 >= n) throw Error(example_error(*reader, index, e));
        if (skipped.fetch_add(1) < 10)
          std::fprintf(stderr, "skipped (skip_unreadable): %s\n", example_error(*reader, index, e).c_str());
        index = (index + 1) % n;
      }
    }
  }

  torch::Tensor stack(const Pending& batch) const {
    const auto& first = batch.examples.front();
    for (std::size_t i = 1; i < batch.examples.size(); ++i)
      if (!batch.examples[i].sizes().equals(first.sizes()))
        throw Error(fmt::format(
            "{} is [{}] after its transforms, {} is [{}]: a batch needs one size; give the split a `resize` and a "
            "`center_crop` (or a `random_resized_crop`) in `transforms:`",
            reader->describe(batch.plan.indices[0].item<std::int64_t>()), fmt::join(first.sizes(), ", "),
            reader->describe(batch.plan.indices[static_cast<std::int64_t>(i)].item<std::int64_t>()),
            fmt::join(batch.examples[i].sizes(), ", ")));
    std::vector<std::int64_t> shape{static_cast<std::int64_t>(batch.examples.size())};
    shape.insert(shape.end(), first.sizes().begin(), first.sizes().end());
    auto out = torch::empty(shape, torch::TensorOptions().dtype(torch::kFloat32).pinned_memory(pin_memory));
    for (std::size_t i = 0; i < batch.examples.size(); ++i) out[static_cast<std::int64_t>(i)].copy_(batch.examples[i]);
    return out;
  }

  /// Called with the lock held: the next example to decode, queuing a new
  /// batch when every queued one is handed out and there is room.
  std::pair<std::shared_ptr<Pending>, std::int64_t> next_job() {
    for (auto& batch : queue)
      if (batch->next_slot < batch->plan.indices.size(0)) return {batch, batch->next_slot++};
    if (exhausted || static_cast<std::int64_t>(queue.size()) >= std::max<std::int64_t>(1, options.prefetch))
      return {nullptr, 0};
    std::optional<BatchPlan> plan = next_plan();
    if (!plan) {
      exhausted = true;
      finished.notify_all();
      return {nullptr, 0};
    }
    auto batch = std::make_shared<Pending>();
    batch->plan = std::move(*plan);
    batch->plan.indices = batch->plan.indices.to(torch::kInt64).contiguous().clone();
    batch->remaining = batch->plan.indices.size(0);
    batch->examples.resize(static_cast<std::size_t>(batch->remaining));
    queue.push_back(batch);
    return {batch, batch->next_slot++};
  }

  /// Decodes one example of the job and, if it was the batch's last, stacks
  /// it. Called without the lock.
  void run_job(const std::shared_ptr<Pending>& batch, std::int64_t slot, std::unique_lock<std::mutex>& lock) {
    torch::Tensor x;
    std::exception_ptr error;
    lock.unlock();
    try {
      x = decode(*batch, slot);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    batch->examples[static_cast<std::size_t>(slot)] = std::move(x);
    if (error && !batch->error) batch->error = error;
    if (--batch->remaining > 0) return;
    if (!batch->error) {
      lock.unlock();
      try {
        batch->inputs = stack(*batch);
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      if (error) batch->error = error;
    }
    batch->examples.clear();
    batch->done = true;
    finished.notify_all();
  }

  void worker() {
    // ATen's kernels would start an OpenMP team per call from every worker;
    // the workers are the parallelism here.
    at::internal::lazy_init_num_threads();
    omp_set_num_threads(1);
    torch::NoGradGuard no_grad;
    std::unique_lock<std::mutex> lock(mutex);
    while (!stop) {
      auto [batch, slot] = next_job();
      if (!batch) {
        work.wait(lock);
        continue;
      }
      run_job(batch, slot, lock);
    }
  }
};

ExampleLoader::ExampleLoader(const Split& split, const TransformPipeline* pipeline, std::uint64_t seed,
                             LoaderOptions options, bool pin_memory, std::function<std::optional<BatchPlan>()> next_plan)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.reader = split.reader.get();
  if (!s.reader) throw Error("ExampleLoader: the split is held in memory, not read from disk");
  s.pipeline = pipeline ? pipeline : s.no_transforms.get();
  s.seed = seed;
  s.options = options;
  s.pin_memory = pin_memory;
  s.next_plan = std::move(next_plan);
  for (std::int64_t i = 0; i < options.workers; ++i) s.threads.emplace_back([&s] { s.worker(); });
}

ExampleLoader::~ExampleLoader() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->stop = true;
  }
  state_->work.notify_all();
  for (auto& t : state_->threads) t.join();
}

std::int64_t ExampleLoader::skipped() const { return state_->skipped.load(); }

std::optional<std::pair<torch::Tensor, torch::Tensor>> ExampleLoader::take() {
  State& s = *state_;
  std::unique_lock<std::mutex> lock(s.mutex);
  if (s.threads.empty()) {
    // No workers: decode on this thread, one batch at a time.
    while (s.queue.empty() || !s.queue.front()->done) {
      auto [batch, slot] = s.next_job();
      if (!batch) break;
      s.run_job(batch, slot, lock);
    }
  } else {
    s.work.notify_all();
    s.finished.wait(lock, [&] { return (!s.queue.empty() && s.queue.front()->done) || (s.queue.empty() && s.exhausted); });
  }
  if (s.queue.empty()) return std::nullopt;
  auto batch = s.queue.front();
  s.queue.pop_front();
  lock.unlock();
  s.work.notify_all();  // room for another batch
  if (batch->error) std::rethrow_exception(batch->error);
  return std::make_pair(batch->inputs, batch->plan.indices);
}

// ---- streams ----

BatchStream::BatchStream(const DataSet& data, const std::string& split, StreamOptions options, torch::Device device)
    : data_(&data), split_(&data.split(split)), options_(std::move(options)), device_(device) {
  if (split_->size() == 0) throw Error(fmt::format("data set '{}': split '{}' is empty", data.name, split));
  // Never ask for more than the split holds: small sets (two moons) get
  // full-batch steps rather than an error.
  options_.batch_size = std::min(options_.batch_size, split_->size());
  sampler_ = make_sampler(options_.sampler, split_->size(), split_->targets, options_.seed);
  if (split_->from_disk()) pipeline_ = data.transforms_for(split);
  restore(0, 0);
}

BatchStream::~BatchStream() = default;
BatchStream::BatchStream(BatchStream&&) noexcept = default;

std::int64_t BatchStream::batches_per_epoch() const { return split_->size() / options_.batch_size; }

namespace {
/// The batch at (epoch, position) of `sampler`'s orders, moving the position
/// on; the ragged tail of an epoch is dropped and the next epoch begins.
BatchPlan next_batch(const Sampler& sampler, std::int64_t size, std::int64_t batch, std::int64_t& epoch,
                     std::int64_t& position, torch::Tensor& order) {
  if (position + batch > size) {
    ++epoch;
    position = 0;
    order = sampler.epoch_order(epoch);
  }
  BatchPlan plan{epoch, order.slice(0, position, position + batch)};
  position += batch;
  return plan;
}
}  // namespace

void BatchStream::restore(std::int64_t epoch, std::int64_t position) {
  loader_.reset();
  epoch_ = epoch;
  position_ = position;
  order_ = sampler_->epoch_order(epoch_);
  if (split_->from_disk()) start_loader();
}

void BatchStream::start_loader() {
  // The loader runs ahead on its own copy of the position; the plan function
  // holds no `this` (streams move).
  struct Cursor {
    std::int64_t epoch, position;
    torch::Tensor order;
  };
  auto cursor = std::make_shared<Cursor>(Cursor{epoch_, position_, order_});
  auto sampler = sampler_;
  const std::int64_t size = split_->size(), batch = options_.batch_size;
  loader_ = std::make_unique<ExampleLoader>(
      *split_, pipeline_, options_.seed, options_.loader, device_.is_cuda(), [cursor, sampler, size, batch] {
        return std::optional<BatchPlan>(
            next_batch(*sampler, size, batch, cursor->epoch, cursor->position, cursor->order));
      });
}

Batch BatchStream::next() {
  const BatchPlan plan = next_batch(*sampler_, split_->size(), options_.batch_size, epoch_, position_, order_);
  Batch batch;
  torch::Tensor index = plan.indices;
  if (loader_) {
    auto taken = loader_->take();
    batch.inputs = taken->first.to(device_, /*non_blocking=*/device_.is_cuda());
    index = taken->second;
  } else {
    batch.inputs = prepare_inputs(*data_, split_->inputs.index_select(0, index), device_, /*augment=*/true);
  }
  if (options_.labelled)
    for (const auto& [name, target] : split_->targets) batch.targets[name] = target.index_select(0, index).to(device_);
  return batch;
}

std::vector<std::int64_t> example_shape(const DataSet& data, const std::string& split_name) {
  const Split& split = data.split(split_name);
  if (!split.from_disk()) {
    const auto shape = split.inputs.sizes().slice(1);
    return {shape.begin(), shape.end()};
  }
  const TransformPipeline* pipeline = data.transforms_for(split_name);
  const TransformPipeline none({});
  ExampleRandom random(0, 0, 0);
  try {
    const auto x = (pipeline ? *pipeline : none).load(*split.reader, 0, random);
    return {x.sizes().begin(), x.sizes().end()};
  } catch (const std::exception& e) {
    throw Error(example_error(*split.reader, 0, e));
  }
}

void for_each_batch(const DataSet& data, const std::string& split_name, std::int64_t batch_size,
                    const torch::Device& device, const LoaderOptions& loader_options,
                    const std::function<void(const Batch&)>& visit, std::int64_t limit) {
  const Split& split = data.split(split_name);
  const std::int64_t n = limit >= 0 ? std::min(limit, split.size()) : split.size();
  if (!split.from_disk()) {
    for (std::int64_t start = 0; start < n; start += batch_size) {
      const std::int64_t end = std::min(n, start + batch_size);
      Batch batch;
      batch.inputs = prepare_inputs(data, split.inputs.slice(0, start, end), device);
      for (const auto& [name, target] : split.targets) batch.targets[name] = target.slice(0, start, end).to(device);
      visit(batch);
    }
    return;
  }
  auto next_start = std::make_shared<std::int64_t>(0);
  ExampleLoader loader(split, data.transforms_for(split_name), /*seed=*/0, loader_options, device.is_cuda(),
                       [next_start, n, batch_size]() -> std::optional<BatchPlan> {
                         if (*next_start >= n) return std::nullopt;
                         const std::int64_t end = std::min(n, *next_start + batch_size);
                         BatchPlan plan{0, torch::arange(*next_start, end, torch::kInt64)};
                         *next_start = end;
                         return plan;
                       });
  while (auto taken = loader.take()) {
    Batch batch;
    batch.inputs = taken->first.to(device, /*non_blocking=*/device.is_cuda());
    for (const auto& [name, target] : split.targets)
      batch.targets[name] = target.index_select(0, taken->second).to(device);
    visit(batch);
  }
}

}  // namespace graft
