#pragma once
// Classification losses on logits [batch, classes] and integer labels (kernels/loss.hpp states
// the formulas). The training step runs ops::loss on its device with running totals there; these
// host helpers return one batch's mean loss and correct count, and write d(loss)/d(logits) when
// dlogits is not null (resized to the logits' shape).
#include <cstdint>
#include <string>

#include "bitblock/common/enum_names.hpp"
#include "bitblock/framework/tensor.hpp"
#include "bitblock/kernels/loss.hpp"

namespace bitblock {

using kernels::LossKind;

// The config's train.loss spellings.
inline constexpr EnumName<LossKind> kLossNames[] = {{LossKind::CrossEntropy, "cross_entropy"},
                                                    {LossKind::SquaredHinge, "squared_hinge"}};
inline const char* to_string(LossKind kind) { return name_of(kLossNames, kind); }

struct LossResult {
  double loss = 0.0;    // mean over the batch
  int64_t correct = 0;  // samples whose argmax equals the label
};

// Host logits; InputError for labels outside 0..classes-1.
LossResult compute_loss(LossKind kind, const Tensor& logits, const int32_t* labels, Tensor* dlogits);
LossResult softmax_cross_entropy(const Tensor& logits, const int32_t* labels, Tensor* dlogits);
LossResult squared_hinge(const Tensor& logits, const int32_t* labels, Tensor* dlogits);
// Samples whose argmax (first maximum) equals the label.
int64_t count_correct(const Tensor& logits, const int32_t* labels);

}  // namespace bitblock
