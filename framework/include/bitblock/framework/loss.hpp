#pragma once
// Classification losses on logits [batch, classes] and integer labels. Each returns the mean
// loss over the batch and the number of correct predictions (argmax, first maximum on ties), and
// writes d(loss)/d(logits) when dlogits is not null (resized to the logits' shape).
#include <cstdint>
#include <string>

#include "bitblock/framework/tensor.hpp"

namespace bitblock {

enum class LossKind { CrossEntropy, SquaredHinge };

const char* to_string(LossKind kind);
// "cross_entropy" | "squared_hinge"; InputError "<where>: ..." otherwise.
LossKind parse_loss(const std::string& s, const std::string& where);

struct LossResult {
  double loss = 0.0;    // mean over the batch
  int64_t correct = 0;  // samples whose argmax equals the label
};

// Softmax cross-entropy: mean over n of -log softmax(y_n)[label_n], computed with the max
// subtracted (stable for any logit range).
LossResult softmax_cross_entropy(const Tensor& logits, const int32_t* labels, Tensor* dlogits);
// Squared hinge with targets t = +1 for the label and -1 elsewhere:
// mean over n of sum over c of max(0, 1 - t_nc * y_nc)^2.
LossResult squared_hinge(const Tensor& logits, const int32_t* labels, Tensor* dlogits);
LossResult compute_loss(LossKind kind, const Tensor& logits, const int32_t* labels, Tensor* dlogits);

// Samples whose argmax (first maximum) equals the label.
int64_t count_correct(const Tensor& logits, const int32_t* labels);

}  // namespace bitblock
