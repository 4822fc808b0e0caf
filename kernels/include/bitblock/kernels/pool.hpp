#pragma once
// Max pooling over square windows of [planes, height, width] maps (planes = batch * channels),
// no padding: out = (H - kernel) / stride + 1 per side. Ties go to the first maximum in row-major
// window order; argmax holds each output's offset inside its input plane. Backward routes each
// output gradient to that position, summed in output order where windows overlap. CPU and CUDA
// give the same bits (the CUDA backward gathers per input pixel in output order).
#include <cstdint>

#include "bitblock/kernels/stream.hpp"

namespace bitblock::kernels {

void maxpool_forward(const float* x, int64_t planes, int64_t height, int64_t width, int kernel, int stride, float* y,
                     int32_t* argmax);
// dx (planes x height x width) is overwritten.
void maxpool_backward(const float* dy, const int32_t* argmax, int64_t planes, int64_t height, int64_t width,
                      int kernel, int stride, float* dx);

namespace reference {
void maxpool_forward(const float* x, int64_t planes, int64_t height, int64_t width, int kernel, int stride, float* y,
                     int32_t* argmax);
void maxpool_backward(const float* dy, const int32_t* argmax, int64_t planes, int64_t height, int64_t width,
                      int kernel, int stride, float* dx);
}  // namespace reference

namespace cuda {
void maxpool_forward(const float* x, int64_t planes, int64_t height, int64_t width, int kernel, int stride, float* y,
                     int32_t* argmax, cudaStream_t stream);
void maxpool_backward(const float* dy, const int32_t* argmax, int64_t planes, int64_t height, int64_t width,
                      int kernel, int stride, float* dx, cudaStream_t stream);
}  // namespace cuda

}  // namespace bitblock::kernels
