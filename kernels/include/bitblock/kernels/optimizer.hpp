#pragma once
// Optimizer updates of one parameter tensor, element-wise. Weight decay is L2 added to the
// gradient. The per-step scalars come through `hyper` (host memory for the CPU versions, device
// memory for the CUDA ones, so a captured CUDA graph reads each step's values):
//   SGD:  hyper = {lr};  g = grad + wd*w;  m = mu*m + g;  w -= lr * (nesterov ? g + mu*m : m)
//   Adam: hyper = {lr, 1 / (1 - b1^t), 1 / (1 - b2^t)};  g = grad + wd*w;
//         m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g*g;  w -= lr * (m * c1) / (sqrt(v * c2) + eps)
// Every operation is one correctly rounded single-precision operation in this order, on the CPU
// (scalar or SSE) and on the GPU (_rn intrinsics, no FMA): the same bits everywhere.
#include <cstdint>

#include "bitblock/kernels/stream.hpp"

namespace bitblock::kernels {

struct AdamSettings {
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.0f;
};
struct SgdSettings {
  float momentum = 0.9f, weight_decay = 0.0f;
  bool nesterov = false;
};

void adam_update(int64_t n, const AdamSettings& s, const float* hyper, const float* grad, float* w, float* m, float* v);
void sgd_update(int64_t n, const SgdSettings& s, const float* hyper, const float* grad, float* w, float* m);

namespace reference {
void adam_update(int64_t n, const AdamSettings& s, const float* hyper, const float* grad, float* w, float* m, float* v);
void sgd_update(int64_t n, const SgdSettings& s, const float* hyper, const float* grad, float* w, float* m);
}  // namespace reference

namespace cuda {
void adam_update(int64_t n, const AdamSettings& s, const float* hyper, const float* grad, float* w, float* m, float* v,
                 cudaStream_t stream);
void sgd_update(int64_t n, const SgdSettings& s, const float* hyper, const float* grad, float* w, float* m,
                cudaStream_t stream);
}  // namespace cuda

}  // namespace bitblock::kernels
