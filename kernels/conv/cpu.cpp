// im2col / col2im on the CPU: per sample, rows (im2col) or channels (col2im) split over OpenMP
// threads for conv-sized tensors; each output element is written by one thread.
#include <algorithm>
#include <cstring>

#include "bitblock/kernels/conv.hpp"
#include "common/parallel.hpp"

namespace bitblock::kernels {
namespace {

void im2col_one(const float* image, const ConvGeometry& g, float* cols, int64_t ld) {
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

void col2im_one(const float* cols, int64_t ld, const ConvGeometry& g, float* image) {
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

void copy_rows(int64_t rows, int64_t cols, const float* src, int64_t ld_src, float* dst, int64_t ld_dst) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMinElements)
  for (int64_t r = 0; r < rows; ++r)
    std::memcpy(dst + r * ld_dst, src + r * ld_src, static_cast<size_t>(cols) * sizeof(float));
}

}  // namespace

void im2col(const float* images, int64_t count, const ConvGeometry& g, float* cols, int64_t ld) {
  for (int64_t i = 0; i < count; ++i) im2col_one(images + i * g.image_size(), g, cols + i * g.out_pixels(), ld);
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
