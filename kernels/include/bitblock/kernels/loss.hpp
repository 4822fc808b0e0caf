#pragma once
// Classification losses on logits [batch, classes] with integer labels, fused with their
// gradient and the running totals a training epoch or an evaluation keeps.
//   cross_entropy: mean over n of -log softmax(y_n)[label_n], with the row maximum subtracted
//                  (stable for any range); d/dy_nc = (softmax_nc - [c == label_n]) / batch.
//   squared_hinge: targets t = +1 for the label, -1 elsewhere; mean over n of
//                  sum over c of max(0, 1 - t y)^2; d/dy = -2 t max(0, 1 - t y) / batch.
// A sample is correct when its argmax (first maximum) is its label. Per-sample terms are double.
// CPU: samples summed in order. CUDA: one block, a fixed tree over per-thread shares
// (deterministic; equal to the CPU within the rounding of exp/log and of the order).
#include <cstdint>

#include "bitblock/kernels/stream.hpp"

namespace bitblock::kernels {

enum class LossKind { CrossEntropy, SquaredHinge };

// Running totals (plain data, on the host or in device memory). After a batch of B samples with
// mean loss L and c correct: last_loss = L, loss_sum += L * B, correct += c, seen += B.
struct LossStats {
  double loss_sum = 0.0;
  int64_t correct = 0;
  int64_t seen = 0;
  double last_loss = 0.0;
};

// dlogits may be null (evaluation). Labels must lie in [0, classes).
void loss_forward_backward(LossKind kind, const float* logits, const int32_t* labels, int64_t batch, int64_t classes,
                           float* dlogits, LossStats* stats);

namespace reference {
void loss_forward_backward(LossKind kind, const float* logits, const int32_t* labels, int64_t batch, int64_t classes,
                           float* dlogits, LossStats* stats);
}  // namespace reference

namespace cuda {
void loss_forward_backward(LossKind kind, const float* logits, const int32_t* labels, int64_t batch, int64_t classes,
                           float* dlogits, LossStats* stats, cudaStream_t stream);
}  // namespace cuda

}  // namespace bitblock::kernels
