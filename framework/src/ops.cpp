// CPU implementation of the compute seam: OpenBLAS GEMM, OpenMP loops partitioned so that every
// output element is produced by one thread in a fixed order (bit-identical across runs).
#include "bitblock/framework/ops.hpp"

#include <cblas.h>

#include <algorithm>
#include <cstring>

namespace bitblock::ops {

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // BLAS may leave C untouched for k == 0; define it as beta * C.
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return;
  }
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
              static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          const float* b, float beta, float* c) {
  gemm(trans_a, trans_b, m, n, k, alpha, a, trans_a ? m : k, b, trans_b ? k : n, beta, c, n);
}

void im2col(const float* image, const ConvGeometry& g, float* cols, int64_t ld) {
  const int64_t oh = g.out_height(), ow = g.out_width(), k = g.kernel;
  const int64_t rows = g.patch_size();
#pragma omp parallel for schedule(static) if (rows * oh * ow >= kParallelMinElements)
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t c = row / (k * k), ky = (row / k) % k, kx = row % k;
    const float* plane = image + c * g.height * g.width;
    float* out = cols + row * ld;
    for (int64_t oy = 0; oy < oh; ++oy) {
      const int64_t iy = oy * g.stride - g.padding + ky;
      float* out_row = out + oy * ow;
      if (iy < 0 || iy >= g.height) {
        std::fill(out_row, out_row + ow, 0.0f);
        continue;
      }
      const float* in_row = plane + iy * g.width;
      for (int64_t ox = 0; ox < ow; ++ox) {
        const int64_t ix = ox * g.stride - g.padding + kx;
        out_row[ox] = (ix >= 0 && ix < g.width) ? in_row[ix] : 0.0f;
      }
    }
  }
}

void col2im(const float* cols, int64_t ld, const ConvGeometry& g, float* image) {
  const int64_t oh = g.out_height(), ow = g.out_width(), k = g.kernel;
  const int64_t plane_size = g.height * g.width;
  // One thread per channel: the k*k rows of a channel touch only that channel's plane.
#pragma omp parallel for schedule(static) if (g.patch_size() * oh * ow >= kParallelMinElements)
  for (int64_t c = 0; c < g.channels; ++c) {
    float* plane = image + c * plane_size;
    std::fill(plane, plane + plane_size, 0.0f);
    for (int64_t ky = 0; ky < k; ++ky) {
      for (int64_t kx = 0; kx < k; ++kx) {
        const float* in = cols + ((c * k + ky) * k + kx) * ld;
        for (int64_t oy = 0; oy < oh; ++oy) {
          const int64_t iy = oy * g.stride - g.padding + ky;
          if (iy < 0 || iy >= g.height) continue;
          float* out_row = plane + iy * g.width;
          const float* in_row = in + oy * ow;
          for (int64_t ox = 0; ox < ow; ++ox) {
            const int64_t ix = ox * g.stride - g.padding + kx;
            if (ix >= 0 && ix < g.width) out_row[ix] += in_row[ox];
          }
        }
      }
    }
  }
}

void add_bias_rows(float* y, const float* bias, int64_t rows, int64_t cols) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMinElements)
  for (int64_t r = 0; r < rows; ++r) {
    float* row = y + r * cols;
    for (int64_t c = 0; c < cols; ++c) row[c] += bias[c];
  }
}

void sum_rows_into(const float* y, int64_t rows, int64_t cols, float* out) {
  // Columns are split into chunks; each chunk sums its rows in order in one thread.
  constexpr int64_t kChunk = 64;
  const int64_t chunks = (cols + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMinElements)
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    const int64_t c0 = chunk * kChunk, c1 = std::min(cols, c0 + kChunk);
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = y + r * cols;
      for (int64_t c = c0; c < c1; ++c) out[c] += row[c];
    }
  }
}

void add_bias_channels(float* y, const float* bias, int64_t batch, int64_t channels, int64_t pixels) {
#pragma omp parallel for schedule(static) if (batch * channels * pixels >= kParallelMinElements)
  for (int64_t nc = 0; nc < batch * channels; ++nc) {
    const float b = bias[nc % channels];
    float* p = y + nc * pixels;
    for (int64_t i = 0; i < pixels; ++i) p[i] += b;
  }
}

void sum_channels_into(const float* y, int64_t batch, int64_t channels, int64_t pixels, float* out) {
#pragma omp parallel for schedule(static) if (batch * channels * pixels >= kParallelMinElements)
  for (int64_t c = 0; c < channels; ++c) {
    float sum = 0.0f;
    for (int64_t n = 0; n < batch; ++n) {
      const float* p = y + (n * channels + c) * pixels;
      for (int64_t i = 0; i < pixels; ++i) sum += p[i];
    }
    out[c] += sum;
  }
}

void axpy(int64_t n, float alpha, const float* x, float* y) {
#pragma omp parallel for schedule(static) if (n >= kParallelMinElements)
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

void copy(int64_t n, const float* src, float* dst) {
  if (n > 0) std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

void copy_matrix(int64_t rows, int64_t cols, const float* src, int64_t ld_src, float* dst, int64_t ld_dst) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMinElements)
  for (int64_t r = 0; r < rows; ++r) std::memcpy(dst + r * ld_dst, src + r * ld_src, static_cast<size_t>(cols) * sizeof(float));
}

void multiply(int64_t n, const float* x, const float* mask, float* y) {
#pragma omp parallel for schedule(static) if (n >= kParallelMinElements)
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * mask[i];
}

}  // namespace bitblock::ops
