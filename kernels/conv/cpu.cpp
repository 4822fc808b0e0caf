// im2col / col2im on the CPU: samples (im2col; the rows of a single sample) or (sample, channel)
// pairs (col2im) split over OpenMP threads for conv-sized groups; each output element is written
// by one thread. Both work on zero-bordered planes, so their inner loops are plain runs (copies,
// adds) without edge tests.
#include <algorithm>
#include <cstring>
#include <vector>

#include "bitblock/kernels/conv.hpp"
#include "common/parallel.hpp"

namespace bitblock::kernels {
namespace {

// One image's planes with a zero border of g.padding (C x ph x pw), so no tap needs an edge test.
void pad_planes(const float* image, const ConvGeometry& g, std::vector<float>& pad) {
  const int64_t ph = g.height + 2 * g.padding, pw = g.width + 2 * g.padding;
  pad.assign(static_cast<size_t>(g.channels * ph * pw), 0.0f);
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t y = 0; y < g.height; ++y)
      std::copy_n(image + (c * g.height + y) * g.width, g.width, pad.data() + (c * ph + y + g.padding) * pw + g.padding);
}

// Row (c*k + ky)*k + kx of one sample's columns (pixels oy*OW + ox) from its padded planes.
void im2col_row(const float* padded, const ConvGeometry& g, int64_t row, float* out) {
  const int64_t oh = g.out_height(), ow = g.out_width(), k = g.kernel, s = g.stride;
  const int64_t ph = g.height + 2 * g.padding, pw = g.width + 2 * g.padding;
  const int64_t c = row / (k * k), ky = (row / k) % k, kx = row % k;
  for (int64_t oy = 0; oy < oh; ++oy, out += ow) {
    const float* in = padded + (c * ph + oy * s + ky) * pw + kx;
    if (s == 1) {
      std::copy_n(in, ow, out);
    } else {
      for (int64_t ox = 0; ox < ow; ++ox) out[ox] = in[ox * s];
    }
  }
}

// Channel c of one sample: the k*k rows of a channel touch only that channel's plane, summed in a
// zero-bordered plane (terms that read padding land in the border, which is dropped).
void col2im_channel(const float* cols, int64_t ld, const ConvGeometry& g, int64_t c, float* image) {
  const int64_t oh = g.out_height(), ow = g.out_width(), k = g.kernel, s = g.stride;
  const int64_t ph = g.height + 2 * g.padding, pw = g.width + 2 * g.padding;
  thread_local std::vector<float> acc;
  acc.assign(static_cast<size_t>(ph * pw), 0.0f);
  for (int64_t ky = 0; ky < k; ++ky) {
    for (int64_t kx = 0; kx < k; ++kx) {
      const float* in = cols + ((c * k + ky) * k + kx) * ld;
      for (int64_t oy = 0; oy < oh; ++oy) {
        float* out = acc.data() + (oy * s + ky) * pw + kx;
        const float* in_row = in + oy * ow;
        if (s == 1) {
          for (int64_t ox = 0; ox < ow; ++ox) out[ox] += in_row[ox];
        } else {
          for (int64_t ox = 0; ox < ow; ++ox) out[ox * s] += in_row[ox];
        }
      }
    }
  }
  for (int64_t y = 0; y < g.height; ++y)
    std::copy_n(acc.data() + (y + g.padding) * pw + g.padding, g.width, image + (c * g.height + y) * g.width);
}

void copy_rows(int64_t rows, int64_t cols, const float* src, int64_t ld_src, float* dst, int64_t ld_dst) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMinElements)
  for (int64_t r = 0; r < rows; ++r)
    std::memcpy(dst + r * ld_dst, src + r * ld_src, static_cast<size_t>(cols) * sizeof(float));
}

}  // namespace

void im2col(const float* images, int64_t count, const ConvGeometry& g, float* cols, int64_t ld) {
  const int64_t rows = g.patch_size(), pixels = g.out_pixels();
  const bool parallel = count * rows * pixels >= kParallelMinElements;
  if (count == 1) {  // one sample: its rows split over the threads
    std::vector<float> pad;
    pad_planes(images, g, pad);
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t row = 0; row < rows; ++row) im2col_row(pad.data(), g, row, cols + row * ld);
    return;
  }
  // Samples split over the threads, handed out one at a time (a thread that the machine
  // deschedules holds up only the sample it has).
#pragma omp parallel for schedule(dynamic) if (parallel)
  for (int64_t i = 0; i < count; ++i) {
    thread_local std::vector<float> pad;
    pad_planes(images + i * g.image_size(), g, pad);
    for (int64_t row = 0; row < rows; ++row) im2col_row(pad.data(), g, row, cols + row * ld + i * pixels);
  }
}

void col2im(const float* cols, int64_t ld, int64_t count, const ConvGeometry& g, float* images) {
  const int64_t pixels = g.out_pixels();
  // Work items (sample, channel), handed out one at a time.
#pragma omp parallel for schedule(dynamic) if (count * g.patch_size() * pixels >= kParallelMinElements)
  for (int64_t t = 0; t < count * g.channels; ++t) {
    const int64_t i = t / g.channels;
    col2im_channel(cols + i * pixels, ld, g, t % g.channels, images + i * g.image_size());
  }
}

void columns_to_maps(const float* cols, int64_t ld, int64_t channels, int64_t pixels, int64_t count, float* maps) {
  for (int64_t i = 0; i < count; ++i) copy_rows(channels, pixels, cols + i * pixels, ld, maps + i * channels * pixels, pixels);
}

void maps_to_columns(const float* maps, int64_t channels, int64_t pixels, int64_t count, float* cols, int64_t ld) {
  for (int64_t i = 0; i < count; ++i) copy_rows(channels, pixels, maps + i * channels * pixels, pixels, cols + i * pixels, ld);
}

}  // namespace bitblock::kernels
