#pragma once
// The compute seam of the framework: every heavy loop a layer runs goes through these functions
// (raw row-major float arrays, sizes and strides; no Tensor), so a CUDA backend can implement the
// same set. The CPU versions use OpenBLAS for GEMM and OpenMP for the rest. No loop here does an
// order-dependent parallel reduction (each sum runs serially in a fixed order inside one thread),
// so results are identical run to run; OpenBLAS GEMM is reproducible for a fixed thread count.
#include <cstdint>

namespace bitblock::ops {

// Element loops smaller than this run serially. Memory-bound loops of an MLP's size take tens of
// microseconds, and a parallel region there costs more than it saves: its worker has to share a
// core with OpenBLAS's spinning threads right after a GEMM. Conv-sized tensors go parallel.
constexpr int64_t kParallelMinElements = int64_t{1} << 20;

// C[m, n] = alpha * op(A) op(B) + beta * C. op(A) is [m, k] (A stored [k, m] when trans_a),
// op(B) is [k, n] (B stored [n, k] when trans_b). lda/ldb/ldc are row strides in elements.
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
// Same with compact (unpadded) rows.
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          const float* b, float beta, float* c);

// Geometry of one 2-D convolution input (one sample, NCHW), square kernel, zero padding.
struct ConvGeometry {
  int64_t channels = 0, height = 0, width = 0;
  int64_t kernel = 1, stride = 1, padding = 0;
  int64_t out_height() const { return (height + 2 * padding - kernel) / stride + 1; }
  int64_t out_width() const { return (width + 2 * padding - kernel) / stride + 1; }
  int64_t patch_size() const { return channels * kernel * kernel; }     // rows of the column matrix
  int64_t out_pixels() const { return out_height() * out_width(); }     // columns per sample
};

// image [C, H, W] -> columns [C*k*k, OH*OW] written with row stride ld (>= OH*OW, so several
// samples can sit side by side in one matrix); row (c*k + ky)*k + kx, column oy*OW + ox holds
// image[c, oy*stride - pad + ky, ox*stride - pad + kx] or 0 outside the image.
void im2col(const float* image, const ConvGeometry& g, float* cols, int64_t ld);
// The adjoint of im2col: image = sum of the column entries that read each pixel (image is
// overwritten). Each pixel's sum runs in a fixed order.
void col2im(const float* cols, int64_t ld, const ConvGeometry& g, float* image);

// y[r, c] += bias[c] for a [rows, cols] matrix.
void add_bias_rows(float* y, const float* bias, int64_t rows, int64_t cols);
// out[c] += sum over r of y[r, c], summed in row order.
void sum_rows_into(const float* y, int64_t rows, int64_t cols, float* out);
// y[n, c, p] += bias[c] for [batch, channels, pixels].
void add_bias_channels(float* y, const float* bias, int64_t batch, int64_t channels, int64_t pixels);
// out[c] += sum over n, p of y[n, c, p], summed in (n, p) order.
void sum_channels_into(const float* y, int64_t batch, int64_t channels, int64_t pixels, float* out);

// y[i] += alpha * x[i].
void axpy(int64_t n, float alpha, const float* x, float* y);
// dst[i] = src[i].
void copy(int64_t n, const float* src, float* dst);
// [rows, cols] (row stride ld_src) -> dst[r * ld_dst + c]; moves blocks between strided layouts.
void copy_matrix(int64_t rows, int64_t cols, const float* src, int64_t ld_src, float* dst, int64_t ld_dst);
// y[i] = x[i] * mask[i].
void multiply(int64_t n, const float* x, const float* mask, float* y);

}  // namespace bitblock::ops
