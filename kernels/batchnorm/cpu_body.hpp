#pragma once
// Batch normalisation on the CPU, the loops of every ISA (common/isa_table.hpp): included once by
// cpu.cpp, cpu_avx2.cpp and cpu_avx512.cpp, each compiling it for its ISA into kBatchnormCpu.
// Channels are processed in blocks (parallel across blocks for large tensors). Inside a block the
// loops run sample -> channel -> pixel, so memory is read in order for both [N, C] and [N, C, H, W].
// A channel's sums (double) over image planes run in kLanes lanes (pixel p into lane p % kLanes,
// samples in order), added in a fixed tree at the end: independent chains the vector units
// overlap (one AVX-512 register holds the eight lanes), and results that depend neither on the
// thread count nor on the ISA. [N, C] inputs sum serially per channel (the channel loop vectorizes).
#include <algorithm>
#include <array>
#include <cmath>
#include <type_traits>

#include "activation/elements.hpp"
#include "batchnorm/cpu_table.hpp"
#include "common/parallel.hpp"

namespace bitblock::kernels::detail {
namespace {

constexpr int64_t kBlock = 64;
using Sums = std::array<double, kBlock>;
constexpr int kLanes = 8;

// The lane sums of NC channels from c, interleaved: one channel's adds form a single chain of
// dependent vector adds, NC channels are NC chains the vector units overlap. Each channel's lanes
// see its elements in the same order as alone (samples, then pixel blocks, then the tail).
template <int NC, size_t K, typename F>
void plane_sums(int64_t batch, int64_t channels, int64_t c, int64_t npix, double (&acc)[NC][K][kLanes], F f) {
  for (int64_t n = 0; n < batch; ++n) {
    const int64_t base = (n * channels + c) * npix;
    int64_t p = 0;
    for (; p + kLanes <= npix; p += kLanes)
      for (int k = 0; k < NC; ++k)
        for (int l = 0; l < kLanes; ++l) {
          const std::array<double, K> v = f(c + k, base + k * npix + p + l);
          for (size_t j = 0; j < K; ++j) acc[k][j][l] += v[j];
        }
    for (int k = 0; k < NC; ++k)
      for (int64_t q = p; q < npix; ++q) {
        const std::array<double, K> v = f(c + k, base + k * npix + q);
        for (size_t j = 0; j < K; ++j) acc[k][j][q - p] += v[j];
      }
  }
}

// Per channel of [c0, c1): sums over samples and pixels of each f[j](c, i) (i the element's index)
// into out[j][c - c0], in one pass: serially for one pixel per plane, else in kLanes lanes (pixel
// p into lane p % kLanes) added in a fixed tree, kChannelsAtOnce channels at a time.
constexpr int kChannelsAtOnce = 2;  // 4 would push a block's planes (re-read by later passes) out of L2

template <size_t K, typename Pixels, typename F>
void channel_sums(int64_t batch, int64_t channels, int64_t c0, int64_t c1, Pixels npix, std::array<Sums*, K> out, F f) {
  if constexpr (std::is_same_v<Pixels, int64_t>) {
    auto finish = [&](int64_t c, const double (&acc)[K][kLanes]) {
      for (size_t j = 0; j < K; ++j) {
        const double* a = acc[j];
        (*out[j])[c - c0] = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
      }
    };
    int64_t c = c0;
    for (; c + kChannelsAtOnce <= c1; c += kChannelsAtOnce) {
      double acc[kChannelsAtOnce][K][kLanes] = {};
      plane_sums<kChannelsAtOnce, K>(batch, channels, c, npix, acc, f);
      for (int k = 0; k < kChannelsAtOnce; ++k) finish(c + k, acc[k]);
    }
    for (; c < c1; ++c) {
      double acc[1][K][kLanes] = {};
      plane_sums<1, K>(batch, channels, c, npix, acc, f);
      finish(c, acc[0]);
    }
  } else {
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t c = c0; c < c1; ++c) {
        const std::array<double, K> v = f(c, n * channels + c);
        for (size_t j = 0; j < K; ++j) (*out[j])[c - c0] += v[j];
      }
  }
}

// Image planes are long enough to stream kChannelsAtOnce channels at a time (more blocks to share
// out than whole blocks of kBlock).
// fn(c0, c1, npix) gets the pixel count as std::integral_constant 1 for [N, C] inputs, so the
// pixel loops vanish at compile time and the channel loops vectorize.
template <typename Fn>
void over_channel_blocks(int64_t channels, int64_t pixels, int64_t numel, Fn fn) {
  const int64_t block = pixels >= kBlock ? kChannelsAtOnce : kBlock;
  const int64_t blocks = (channels + block - 1) / block;
#pragma omp parallel for schedule(static) if (numel >= kParallelMinElements)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t c0 = b * block, c1 = std::min(channels, (b + 1) * block);
    if (pixels == 1) {
      fn(c0, c1, std::integral_constant<int64_t, 1>{});
    } else {
      fn(c0, c1, pixels);
    }
  }
}

// xhat = (x - mean) * inv_std, y = value(gamma * xhat + beta) over channels [c0, c1).
template <typename Pixels, typename Value>
void normalize(const float* in, int64_t batch, int64_t channels, int64_t c0, int64_t c1, Pixels npix,
               const Sums& mean, const float* inv_std, const float* gamma, const float* beta, float* xh, float* out,
               Value value) {
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t base = (n * channels + c) * npix;
      const auto m = static_cast<float>(mean[c - c0]);
      const float inv = inv_std[c], g = gamma[c], b = beta[c];
      for (int64_t p = 0; p < npix; ++p) {
        const float v = (in[base + p] - m) * inv;
        xh[base + p] = v;
        out[base + p] = value(g * v + b);
      }
    }
}

void forward_train(const float* in, int64_t batch, int64_t channels, int64_t pixels, const float* gamma,
                   const float* beta, float momentum, float eps, float* running_mean, float* running_var,
                   float* inv_std, float* xh, float* out, const ActSpec& act) {
  const int64_t count = batch * pixels;
  with_activation(act, [&](auto value, auto) {
    over_channel_blocks(channels, pixels, batch * channels * pixels, [&](int64_t c0, int64_t c1, auto npix) {
      Sums mean{}, sq{};
      channel_sums<1>(batch, channels, c0, c1, npix, {&mean},
                      [&](int64_t, int64_t i) { return std::array<double, 1>{static_cast<double>(in[i])}; });
      for (int64_t c = c0; c < c1; ++c) mean[c - c0] /= static_cast<double>(count);
      channel_sums<1>(batch, channels, c0, c1, npix, {&sq}, [&](int64_t c, int64_t i) {
        const double d = in[i] - mean[c - c0];
        return std::array<double, 1>{d * d};
      });
      for (int64_t c = c0; c < c1; ++c) {
        const double var = sq[c - c0] / static_cast<double>(count);
        running_mean[c] = static_cast<float>((1.0 - momentum) * running_mean[c] + momentum * mean[c - c0]);
        if (count > 1)
          running_var[c] = static_cast<float>((1.0 - momentum) * running_var[c] +
                                              momentum * (sq[c - c0] / static_cast<double>(count - 1)));
        inv_std[c] = static_cast<float>(1.0 / std::sqrt(var + eps));
      }
      const auto local = value;  // a local copy: its constants stay in registers in the OpenMP region
      normalize(in, batch, channels, c0, c1, npix, mean, inv_std, gamma, beta, xh, out, local);
    });
  });
}

void forward_eval(const float* in, int64_t batch, int64_t channels, int64_t pixels, const float* gamma,
                  const float* beta, float eps, const float* running_mean, const float* running_var, float* inv_std,
                  float* xh, float* out, const ActSpec& act) {
  with_activation(act, [&](auto value, auto) {
    over_channel_blocks(channels, pixels, batch * channels * pixels, [&](int64_t c0, int64_t c1, auto npix) {
      Sums mean{};
      for (int64_t c = c0; c < c1; ++c) {
        mean[c - c0] = running_mean[c];
        inv_std[c] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(running_var[c]) + eps));
      }
      const auto local = value;
      normalize(in, batch, channels, c0, c1, npix, mean, inv_std, gamma, beta, xh, out, local);
    });
  });
}

// With an activation, dy is the gradient at its output: a first pass over the block writes the
// gradient at the batch norm's output into out (the gate recomputes the activation's input
// gamma * xhat + beta exactly as the forward did), and the sums and the last pass read it there,
// while the block is in cache.
void backward(const float* dy, const float* xh, int64_t batch, int64_t channels, int64_t pixels, const float* gamma,
              const float* beta, const float* inv_std, bool trained, float* gamma_grad, float* beta_grad, float* out,
              const ActSpec& act) {
  const auto count = static_cast<double>(batch * pixels);
  with_activation(act, [&](auto, auto passes) {
    over_channel_blocks(channels, pixels, batch * channels * pixels, [&](int64_t c0, int64_t c1, auto npix) {
      const auto pass = passes;  // a local copy: its constants stay in registers in the OpenMP region
      const float* g = dy;
      if (act.fn != ActFn::Identity) {
        for (int64_t n = 0; n < batch; ++n)
          for (int64_t c = c0; c < c1; ++c) {
            const int64_t base = (n * channels + c) * npix;
            const float gm = gamma[c], bt = beta[c];
            for (int64_t p = 0; p < npix; ++p) {
              const float d = dy[base + p];
              out[base + p] = pass(gm * xh[base + p] + bt) ? d : 0.0f;
            }
          }
        g = out;
      }
      Sums sum_dy{}, sum_dy_xhat{};
      channel_sums<2>(batch, channels, c0, c1, npix, {&sum_dy, &sum_dy_xhat}, [&](int64_t, int64_t i) {
        const double d = g[i];
        return std::array<double, 2>{d, d * xh[i]};
      });
      for (int64_t c = c0; c < c1; ++c) {
        gamma_grad[c] += static_cast<float>(sum_dy_xhat[c - c0]);
        beta_grad[c] += static_cast<float>(sum_dy[c - c0]);
      }
      for (int64_t n = 0; n < batch; ++n)
        for (int64_t c = c0; c < c1; ++c) {
          const int64_t base = (n * channels + c) * npix;
          const float scale = gamma[c] * inv_std[c];
          const float mean_dy = trained ? static_cast<float>(sum_dy[c - c0] / count) : 0.0f;
          const float mean_dy_xhat = trained ? static_cast<float>(sum_dy_xhat[c - c0] / count) : 0.0f;
          for (int64_t p = 0; p < npix; ++p)
            out[base + p] = scale * (g[base + p] - mean_dy - xh[base + p] * mean_dy_xhat);
        }
    });
  });
}

constexpr BatchnormCpu kBatchnormCpu{forward_train, forward_eval, backward};

}  // namespace
}  // namespace bitblock::kernels::detail
