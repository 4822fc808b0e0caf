#include "bitblock/framework/loss.hpp"

#include <vector>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/ops.hpp"

namespace bitblock {

LossResult compute_loss(LossKind kind, const Tensor& logits, const int32_t* labels, Tensor* dlogits) {
  const int64_t batch = logits.rank() == 2 ? logits.dim(0) : 0;
  const Array<int32_t> label_array(std::vector<int32_t>(labels, labels + batch));
  Array<kernels::LossStats> stats(1);
  ops::loss(kind, logits, label_array, dlogits, stats);
  return {stats.host()[0].last_loss, stats.host()[0].correct};
}

LossResult softmax_cross_entropy(const Tensor& logits, const int32_t* labels, Tensor* dlogits) {
  return compute_loss(LossKind::CrossEntropy, logits, labels, dlogits);
}

LossResult squared_hinge(const Tensor& logits, const int32_t* labels, Tensor* dlogits) {
  return compute_loss(LossKind::SquaredHinge, logits, labels, dlogits);
}

int64_t count_correct(const Tensor& logits, const int32_t* labels) {
  return compute_loss(LossKind::CrossEntropy, logits, labels, nullptr).correct;
}

}  // namespace bitblock
