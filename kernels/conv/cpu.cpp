// im2col / col2im on the CPU: per sample, rows (im2col) or channels (col2im) split over OpenMP
// threads for conv-sized tensors; each output element is written by one thread. Both work on
// zero-bordered planes, so their inner loops are plain runs (copies, adds) without edge tests.
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

void im2col_one(const float* image, const ConvGeometry& g, float* cols, int64_t ld, std::vector<float>& pad) {
  const int64_t oh = g.out_height(), ow = g.out_width(), k = g.kernel, s = g.stride;
  const int64_t ph = g.height + 2 * g.padding, pw = g.width + 2 * g.padding;
  const int64_t rows = g.patch_size();
  pad_planes(image, g, pad);
  const float* padded = pad.data();
#pragma omp parallel for schedule(static) if (rows * oh * ow >= kParallelMinElements)
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t c = row / (k * k), ky = (row / k) % k, kx = row % k;
    for (int64_t oy = 0; oy < oh; ++oy) {
      const float* in = padded + (c * ph + oy * s + ky) * pw + kx;
      float* out = cols + row * ld + oy * ow;
      if (s == 1) {
        std::copy_n(in, ow, out);
      } else {
        for (int64_t ox = 0; ox < ow; ++ox) out[ox] = in[ox * s];
      }
    }
  }
}

void col2im_one(const float* cols, int64_t ld, const ConvGeometry& g, float* image) {
  const int64_t oh = g.out_height(), ow = g.out_width(), k = g.kernel, s = g.stride;
  const int64_t ph = g.height + 2 * g.padding, pw = g.width + 2 * g.padding;
  // One thread per channel: the k*k rows of a channel touch only that channel's plane, summed in
  // a zero-bordered plane (terms that read padding land in the border, which is dropped).
#pragma omp parallel for schedule(static) if (g.patch_size() * oh * ow >= kParallelMinElements)
  for (int64_t c = 0; c < g.channels; ++c) {
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
}

void copy_rows(int64_t rows, int64_t cols, const float* src, int64_t ld_src, float* dst, int64_t ld_dst) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMinElements)
  for (int64_t r = 0; r < rows; ++r)
    std::memcpy(dst + r * ld_dst, src + r * ld_src, static_cast<size_t>(cols) * sizeof(float));
}

}  // namespace

void im2col(const float* images, int64_t count, const ConvGeometry& g, float* cols, int64_t ld) {
  std::vector<float> pad;
  for (int64_t i = 0; i < count; ++i) im2col_one(images + i * g.image_size(), g, cols + i * g.out_pixels(), ld, pad);
}

void col2im(const float* cols, int64_t ld, int64_t count, const ConvGeometry& g, float* images) {
  for (int64_t i = 0; i < count; ++i) col2im_one(cols + i * g.out_pixels(), ld, g, images + i * g.image_size());
}

void columns_to_maps(const float* cols, int64_t ld, int64_t channels, int64_t pixels, int64_t count, float* maps) {
  for (int64_t i = 0; i < count; ++i) copy_rows(channels, pixels, cols + i * pixels, ld, maps + i * channels * pixels, pixels);
}

void maps_to_columns(const float* maps, int64_t channels, int64_t pixels, int64_t count, float* cols, int64_t ld) {
  for (int64_t i = 0; i < count; ++i) copy_rows(channels, pixels, maps + i * channels * pixels, pixels, cols + i * pixels, ld);
}

}  // namespace bitblock::kernels
