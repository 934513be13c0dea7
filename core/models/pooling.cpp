#include "core/models/pooling.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace graft {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/// A window's maximum is the first value greater than all before it, a NaN
/// winning over numbers: the comparison libtorch's pooling kernels make, so
/// ties and NaNs pick the same input.
inline bool replaces(float candidate, float best) { return candidate > best || std::isnan(candidate); }

#if defined(__SSE2__)
// Four windows at a time, without branches: on real activations the scalar
// comparisons mispredict about once a window, as libtorch's scalar kernel
// does. SSE2 is part of every x86-64 CPU.
inline __m128 replaces4(__m128 candidate, __m128 best) {
  return _mm_or_ps(_mm_cmpgt_ps(candidate, best), _mm_cmpunord_ps(candidate, candidate));
}
inline __m128 select4(__m128 mask, __m128 if_set, __m128 otherwise) {
  return _mm_or_ps(_mm_and_ps(mask, if_set), _mm_andnot_ps(mask, otherwise));
}
#endif

/// One row of windows: rows `top` and `bottom` of the input give `out_width`
/// maxima and the index (0-3, row-major in the window) of the input each took.
void pool_row(const float* top, const float* bottom, float* out, std::uint8_t* won, std::int64_t out_width) {
  std::int64_t j = 0;
#if defined(__SSE2__)
  for (; j + 4 <= out_width; j += 4) {
    const __m128 top_lo = _mm_loadu_ps(top + 2 * j), top_hi = _mm_loadu_ps(top + 2 * j + 4);
    const __m128 bottom_lo = _mm_loadu_ps(bottom + 2 * j), bottom_hi = _mm_loadu_ps(bottom + 2 * j + 4);
    const __m128 a = _mm_shuffle_ps(top_lo, top_hi, _MM_SHUFFLE(2, 0, 2, 0));
    const __m128 b = _mm_shuffle_ps(top_lo, top_hi, _MM_SHUFFLE(3, 1, 3, 1));
    const __m128 c = _mm_shuffle_ps(bottom_lo, bottom_hi, _MM_SHUFFLE(2, 0, 2, 0));
    const __m128 d = _mm_shuffle_ps(bottom_lo, bottom_hi, _MM_SHUFFLE(3, 1, 3, 1));
    __m128 best = a, which = _mm_setzero_ps();
    __m128 mask = replaces4(b, best);
    best = select4(mask, b, best);
    which = select4(mask, _mm_castsi128_ps(_mm_set1_epi32(1)), which);
    mask = replaces4(c, best);
    best = select4(mask, c, best);
    which = select4(mask, _mm_castsi128_ps(_mm_set1_epi32(2)), which);
    mask = replaces4(d, best);
    best = select4(mask, d, best);
    which = select4(mask, _mm_castsi128_ps(_mm_set1_epi32(3)), which);
    _mm_storeu_ps(out + j, best);
    const __m128i zero = _mm_setzero_si128();
    const std::int32_t bytes =
        _mm_cvtsi128_si32(_mm_packus_epi16(_mm_packs_epi32(_mm_castps_si128(which), zero), zero));
    std::memcpy(won + j, &bytes, 4);
  }
#endif
  for (; j < out_width; ++j) {
    float best = top[2 * j];
    std::uint8_t which = 0;
    if (replaces(top[2 * j + 1], best)) best = top[2 * j + 1], which = 1;
    if (replaces(bottom[2 * j], best)) best = bottom[2 * j], which = 2;
    if (replaces(bottom[2 * j + 1], best)) best = bottom[2 * j + 1], which = 3;
    out[j] = best;
    won[j] = which;
  }
}

/// The gradient of one row of windows: each output's gradient goes to the
/// input it took, zeros to the other three. libtorch zero-fills and adds,
/// 0 + g, which turns -0 into +0; so does the + 0.0f here.
void unpool_row(const float* grad, const std::uint8_t* won, float* top, float* bottom, std::int64_t out_width) {
  std::int64_t j = 0;
#if defined(__SSE2__)
  for (; j + 4 <= out_width; j += 4) {
    const __m128 g = _mm_add_ps(_mm_loadu_ps(grad + j), _mm_setzero_ps());
    std::int32_t bytes;
    std::memcpy(&bytes, won + j, 4);
    const __m128i zero = _mm_setzero_si128();
    const __m128i which = _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(bytes), zero), zero);
    auto taken_by = [&](int k) { return _mm_and_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(which, _mm_set1_epi32(k))), g); };
    const __m128 a = taken_by(0), b = taken_by(1), c = taken_by(2), d = taken_by(3);
    _mm_storeu_ps(top + 2 * j, _mm_unpacklo_ps(a, b));
    _mm_storeu_ps(top + 2 * j + 4, _mm_unpackhi_ps(a, b));
    _mm_storeu_ps(bottom + 2 * j, _mm_unpacklo_ps(c, d));
    _mm_storeu_ps(bottom + 2 * j + 4, _mm_unpackhi_ps(c, d));
  }
#endif
  for (; j < out_width; ++j) {
    const float value = grad[j] + 0.0f;
    const std::uint8_t which = won[j];
    top[2 * j] = which == 0 ? value : 0.0f;
    top[2 * j + 1] = which == 1 ? value : 0.0f;
    bottom[2 * j] = which == 2 ? value : 0.0f;
    bottom[2 * j + 1] = which == 3 ? value : 0.0f;
  }
}

class MaxPool2x2 : public torch::autograd::Function<MaxPool2x2> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& input) {
    const std::int64_t planes = input.size(0) * input.size(1), height = input.size(2), width = input.size(3);
    const std::int64_t out_height = height / 2, out_width = width / 2;
    auto output = torch::empty({input.size(0), input.size(1), out_height, out_width}, input.options());
    // Which of the window's four inputs won (row-major in the window): one
    // byte per output instead of libtorch's 64-bit flat index.
    auto winner = torch::empty(output.sizes(), input.options().dtype(torch::kUInt8));
    const float* in = input.data_ptr<float>();
    float* out = output.data_ptr<float>();
    std::uint8_t* won = winner.data_ptr<std::uint8_t>();
    at::parallel_for(0, planes, 16, [&](std::int64_t first, std::int64_t last) {
      for (std::int64_t plane = first; plane < last; ++plane)
        for (std::int64_t i = 0; i < out_height; ++i) {
          const float* top = in + (plane * height + 2 * i) * width;
          const std::int64_t at = (plane * out_height + i) * out_width;
          pool_row(top, top + width, out + at, won + at, out_width);
        }
    });
    ctx->saved_data["winner"] = winner;
    ctx->saved_data["input_sizes"] = input.sizes();
    return output;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto winner = ctx->saved_data["winner"].toTensor();
    const auto sizes = ctx->saved_data["input_sizes"].toIntVector();
    const auto grad_output = grads[0].contiguous();
    if (torch::GradMode::is_enabled()) return {differentiable_backward(grad_output, winner, sizes)};
    const std::int64_t planes = sizes[0] * sizes[1], height = sizes[2], width = sizes[3];
    const std::int64_t out_height = height / 2, out_width = width / 2;
    auto grad_input = torch::empty(sizes, grad_output.options());
    const float* g = grad_output.data_ptr<float>();
    const std::uint8_t* won = winner.data_ptr<std::uint8_t>();
    float* gi = grad_input.data_ptr<float>();
    at::parallel_for(0, planes, 16, [&](std::int64_t first, std::int64_t last) {
      for (std::int64_t plane = first; plane < last; ++plane) {
        float* plane_grad = gi + plane * height * width;
        for (std::int64_t i = 0; i < out_height; ++i) {
          float* top = plane_grad + 2 * i * width;
          float* bottom = top + width;
          const std::int64_t at = (plane * out_height + i) * out_width;
          unpool_row(g + at, won + at, top, bottom, out_width);
          if (width % 2) top[width - 1] = bottom[width - 1] = 0.0f;  // the column no window covers
        }
        if (height % 2) std::fill(plane_grad + (height - 1) * width, plane_grad + height * width, 0.0f);
      }
    });
    return {grad_input};
  }

 private:
  /// Under create_graph (double backward): libtorch's own pooling backward,
  /// which is differentiable, with the winners turned into its flat indices.
  static torch::Tensor differentiable_backward(const torch::Tensor& grad_output, const torch::Tensor& winner,
                                               const std::vector<std::int64_t>& sizes) {
    const std::int64_t width = sizes[3];
    const auto options = grad_output.options().dtype(torch::kLong);
    const auto rows = torch::arange(winner.size(2), options).view({1, 1, -1, 1}) * 2;
    const auto cols = torch::arange(winner.size(3), options).view({1, 1, 1, -1}) * 2;
    const auto which = winner.to(torch::kLong);
    const auto indices = (rows + torch::div(which, 2, "floor")) * width + cols + torch::remainder(which, 2);
    return at::max_pool2d_with_indices_backward(grad_output, torch::zeros(sizes, grad_output.options()), {2, 2},
                                                {2, 2}, {0, 0}, {1, 1}, false, indices.contiguous());
  }
};

}  // namespace

torch::Tensor max_pool_2x2(const torch::Tensor& x) {
  const bool own_kernel = x.dim() == 4 && x.device().is_cpu() && x.scalar_type() == torch::kFloat32 &&
                          x.is_contiguous() && x.size(2) >= 2 && x.size(3) >= 2;
  if (!own_kernel) return torch::max_pool2d(x, 2);
  return MaxPool2x2::apply(x);
}

}  // namespace graft
