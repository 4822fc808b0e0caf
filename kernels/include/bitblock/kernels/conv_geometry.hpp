#pragma once
// The geometry of one 2-D convolution input (one sample, NCHW), square kernel, zero padding, and
// the one formula for which pixel a patch entry reads. Both layouts of the unrolled input use it:
// im2col's column matrix [C*k*k, samples * OH*OW] (conv.hpp, the dense path) and patch rows
// [samples * OH*OW, C*k*k] (patches.hpp, the kept path and model/'s integer inference).
#include <cstdint>

#include "bitblock/common/host_device.hpp"

namespace bitblock::kernels {

struct ConvGeometry {
  int64_t channels = 0, height = 0, width = 0;
  int64_t kernel = 1, stride = 1, padding = 0;
  BITBLOCK_HD int64_t out_height() const { return (height + 2 * padding - kernel) / stride + 1; }
  BITBLOCK_HD int64_t out_width() const { return (width + 2 * padding - kernel) / stride + 1; }
  BITBLOCK_HD int64_t patch_size() const { return channels * kernel * kernel; }  // entries of one patch
  BITBLOCK_HD int64_t out_pixels() const { return out_height() * out_width(); }  // patches per sample
  BITBLOCK_HD int64_t image_size() const { return channels * height * width; }
  // The offset in the sample [C, H, W] that entry (c*k + ky)*k + kx of output pixel oy*OW + ox's
  // patch reads, [c, oy*stride - pad + ky, ox*stride - pad + kx], or -1 where that is padding.
  BITBLOCK_HD int64_t source(int64_t pixel, int64_t entry) const {
    const int64_t c = entry / (kernel * kernel), ky = (entry / kernel) % kernel, kx = entry % kernel;
    const int64_t iy = (pixel / out_width()) * stride - padding + ky, ix = (pixel % out_width()) * stride - padding + kx;
    return iy >= 0 && iy < height && ix >= 0 && ix < width ? (c * height + iy) * width + ix : -1;
  }
};

}  // namespace bitblock::kernels
