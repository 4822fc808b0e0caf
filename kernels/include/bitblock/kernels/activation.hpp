#pragma once
// Element-wise activations, float or quantized, and their straight-through gradients.
//   identity                bits 32 only.
//   relu, bits 32           y = max(0, x); grad where x > 0.
//   relu, bits a in 2..8    L = 2^a - 1 levels above 0: y = round(clamp(x, 0, max) * L / max) * max / L;
//                           grad passes (STE through the rounding) where 0 < x < max.
//   hardtanh, bits 32       y = clamp(x, -1, 1); grad where |x| < 1.
//   hardtanh, bits a 2..8   L = 2^(a-1) - 1: y = round(clamp(x, -1, 1) * L) / L; grad where |x| < 1.
//   sign, bits 1 only       y = x >= 0 ? 1 : -1; grad = dy * (|x| <= 1).
// Rounding is half away from zero (std::round), computed inline so loops vectorize and CUDA
// rounds the same way: CPU and CUDA give the same bits.
#include <cmath>
#include <cstdint>

#include "bitblock/common/host_device.hpp"
#include "bitblock/kernels/stream.hpp"

namespace bitblock::kernels {

enum class ActFn { Relu, Hardtanh, Sign, Identity };

namespace act {

BITBLOCK_HD float copy_sign(float magnitude, float sign) {
#if defined(__CUDA_ARCH__)
  return copysignf(magnitude, sign);
#else
  return std::copysign(magnitude, sign);
#endif
}
BITBLOCK_HD float max(float a, float b) { return a < b ? b : a; }  // std::max (NaN stays in a)
BITBLOCK_HD float min(float a, float b) { return b < a ? b : a; }  // std::min

// std::round (half away from zero) for |t| < 2^22, branch-free (std::round is a library call and
// GCC does not if-convert selects between computed values): adding and subtracting 2^23 rounds to
// nearest even, then an exact tie that went toward zero moves away from it. NaN stays NaN; -0 may
// come out as +0 (an equal value).
BITBLOCK_HD float round_half_away(float t) {
  const float shift = copy_sign(8388608.0f, t);  // 2^23 with t's sign
  const float r = (t + shift) - shift;
  const float rest = t - r;  // exact
  return r + (rest == copy_sign(0.5f, t) ? copy_sign(1.0f, t) : copy_sign(0.0f, t));
}

BITBLOCK_HD float relu_levels(float x, float levels, float max_value) {
  return round_half_away(min(max(x, 0.0f), max_value) * levels / max_value) * max_value / levels;
}
BITBLOCK_HD float hardtanh_levels(float x, float levels) {
  return round_half_away(min(max(x, -1.0f), 1.0f) * levels) / levels;
}

}  // namespace act

// Number of positive quantization levels L (0 for float activations, 1 for sign).
BITBLOCK_HD int activation_levels(ActFn fn, int bits) {
  if (bits == 32) return 0;
  if (fn == ActFn::Sign) return 1;
  if (fn == ActFn::Relu) return (1 << bits) - 1;
  return (1 << (bits - 1)) - 1;
}

// Output value of one input: the forward definition.
BITBLOCK_HD float activation_value(ActFn fn, int bits, float max_value, float x) {
  switch (fn) {
    case ActFn::Identity: return x;
    case ActFn::Sign: return x >= 0.0f ? 1.0f : -1.0f;
    case ActFn::Relu:
      if (bits == 32) return x > 0.0f ? x : 0.0f;
      return act::relu_levels(x, static_cast<float>(activation_levels(fn, bits)), max_value);
    case ActFn::Hardtanh:
      if (bits == 32) return act::min(act::max(x, -1.0f), 1.0f);
      return act::hardtanh_levels(x, static_cast<float>(activation_levels(fn, bits)));
  }
  return x;
}

// True where the straight-through gradient passes.
BITBLOCK_HD bool activation_passes(ActFn fn, int bits, float max_value, float x) {
  switch (fn) {
    case ActFn::Identity: return true;
    case ActFn::Sign: return std::fabs(x) <= 1.0f;
    case ActFn::Relu: return bits == 32 ? x > 0.0f : (x > 0.0f && x < max_value);
    case ActFn::Hardtanh: return std::fabs(x) < 1.0f;
  }
  return true;
}

// One activation's settings, for kernels that apply it in their own pass (batchnorm.hpp).
// The default is the identity.
struct ActSpec {
  ActFn fn = ActFn::Identity;
  int bits = 32;
  float max = 1.0f;
};

// y[i] = activation(x[i]); dx[i] = passes(x[i]) ? dy[i] : 0 (x is the forward input).
void activation_forward(ActFn fn, int bits, float max_value, int64_t n, const float* x, float* y);
void activation_backward(ActFn fn, int bits, float max_value, int64_t n, const float* x, const float* dy, float* dx);

namespace reference {
void activation_forward(ActFn fn, int bits, float max_value, int64_t n, const float* x, float* y);
void activation_backward(ActFn fn, int bits, float max_value, int64_t n, const float* x, const float* dy, float* dx);
}  // namespace reference

namespace cuda {
void activation_forward(ActFn fn, int bits, float max_value, int64_t n, const float* x, float* y, cudaStream_t stream);
void activation_backward(ActFn fn, int bits, float max_value, int64_t n, const float* x, const float* dy, float* dx,
                         cudaStream_t stream);
}  // namespace cuda

}  // namespace bitblock::kernels
