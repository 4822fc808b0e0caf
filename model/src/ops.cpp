#include "bitblock/model/ops.hpp"

#include <algorithm>
#include <cstring>

#include "bitblock/kernels/patches.hpp"
#include "bitblock/kernels/pool.hpp"

namespace bitblock::model {

void input_codes(InputMode mode, const uint8_t* images, int64_t count, int16_t* codes) {
  if (mode == InputMode::Pixel) {
    for (int64_t i = 0; i < count; ++i) codes[i] = images[i];
  } else {
    for (int64_t i = 0; i < count; ++i) codes[i] = static_cast<int16_t>(2 * images[i] - 255);
  }
}

void im2col(const Stage& s, const int16_t* x, int16_t* cols) {
  const kernels::ConvGeometry g{s.input.c, s.input.h, s.input.w, s.kernel, s.stride, s.padding};
  kernels::image_to_patches(x, 1, g, cols, g.patch_size());
}

namespace {

// Max-pool over one C x H x W map; `better(a, b, c)` says whether a beats b in channel c.
template <typename T, typename Better>
void max_pool(const T* in, int C, int H, int W, const Pool& p, T* out, Better better) {
  kernels::reference::maxpool_of(in, C, H, W, p.size, p.stride, out, nullptr, better);
}

}  // namespace

void finish_stage(const Stage& s, const int32_t* acc, int16_t* codes, int64_t* logits) {
  const int C = s.out_channels(), H = s.conv_out_h(), W = s.conv_out_w();
  std::vector<int32_t> pooled_acc;
  int64_t P = int64_t{H} * W;
  if (s.pool.active() && s.pool.placement == PoolPlacement::Acc) {
    const Shape o = s.output_shape();
    pooled_acc.resize(static_cast<size_t>(o.size()));
    // The accumulator with the largest z wins: largest acc for m_c >= 0, smallest for m_c < 0.
    max_pool(acc, C, H, W, s.pool, pooled_acc.data(),
             [&](int32_t a, int32_t b, int64_t c) { return s.mult[static_cast<size_t>(c)] >= 0 ? a > b : a < b; });
    acc = pooled_acc.data();
    P = int64_t{o.h} * o.w;
  }
  const bool pool_codes = s.pool.active() && s.pool.placement == PoolPlacement::Codes;
  if (s.act == ActKind::None) {
    std::vector<int64_t> z(static_cast<size_t>(C * P));
    for (int c = 0; c < C; ++c)
      for (int64_t p = 0; p < P; ++p)
        z[static_cast<size_t>(c * P + p)] = int64_t{acc[c * P + p]} * s.mult[static_cast<size_t>(c)] + s.bias[static_cast<size_t>(c)];
    if (pool_codes) {
      max_pool(z.data(), C, H, W, s.pool, logits, [](int64_t a, int64_t b, int64_t) { return a > b; });
    } else {
      std::copy(z.begin(), z.end(), logits);
    }
    return;
  }
  std::vector<int16_t> pre;
  int16_t* dst = codes;
  if (pool_codes) {
    pre.resize(static_cast<size_t>(C * P));
    dst = pre.data();
  }
  for (int c = 0; c < C; ++c) {
    const int64_t m = s.mult[static_cast<size_t>(c)], b = s.bias[static_cast<size_t>(c)];
    for (int64_t p = 0; p < P; ++p) dst[c * P + p] = activate(acc[c * P + p] * m + b, s.act, s.act_bits, s.shift);
  }
  if (pool_codes) max_pool(pre.data(), C, H, W, s.pool, codes, [](int16_t a, int16_t b, int64_t) { return a > b; });
}

int32_t argmax(const int64_t* logits, int n) {
  int32_t best = 0;
  for (int i = 1; i < n; ++i)
    if (logits[i] > logits[best]) best = i;
  return best;
}

}  // namespace bitblock::model
