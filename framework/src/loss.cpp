#include "bitblock/framework/loss.hpp"

#include <algorithm>
#include <cmath>

#include "bitblock/common/error.hpp"

namespace bitblock {

namespace {
void check(const Tensor& logits, const int32_t* labels, const char* where) {
  if (logits.rank() != 2 || logits.dim(1) < 1)
    fail_input(where, "expects logits [batch, classes], got " + shape_str(logits.shape()));
  for (int64_t n = 0; n < logits.dim(0); ++n)
    if (labels[n] < 0 || labels[n] >= logits.dim(1))
      fail_input(where, "label " + std::to_string(labels[n]) + " of sample " + std::to_string(n) +
                            " outside 0.." + std::to_string(logits.dim(1) - 1));
}
}  // namespace

const char* to_string(LossKind kind) {
  return kind == LossKind::CrossEntropy ? "cross_entropy" : "squared_hinge";
}

LossKind parse_loss(const std::string& s, const std::string& where) {
  if (s == "cross_entropy") return LossKind::CrossEntropy;
  if (s == "squared_hinge") return LossKind::SquaredHinge;
  fail_input(where, "unknown loss '" + s + "' (expected cross_entropy or squared_hinge)");
}

int64_t count_correct(const Tensor& logits, const int32_t* labels) {
  const int64_t batch = logits.dim(0), classes = logits.dim(1);
  int64_t correct = 0;
  for (int64_t n = 0; n < batch; ++n) {
    const float* row = logits.data() + n * classes;
    if (std::max_element(row, row + classes) - row == labels[n]) ++correct;
  }
  return correct;
}

LossResult softmax_cross_entropy(const Tensor& logits, const int32_t* labels, Tensor* dlogits) {
  check(logits, labels, "cross_entropy");
  const int64_t batch = logits.dim(0), classes = logits.dim(1);
  if (dlogits) dlogits->resize(logits.shape());
  double total = 0.0;
  for (int64_t n = 0; n < batch; ++n) {
    const float* row = logits.data() + n * classes;
    const float max = *std::max_element(row, row + classes);
    double sum = 0.0;
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(static_cast<double>(row[c]) - max);
    const double log_sum = std::log(sum);
    total += log_sum - (static_cast<double>(row[labels[n]]) - max);
    if (dlogits) {
      // d/dy_c = (softmax_c - [c == label]) / batch
      float* d = dlogits->data() + n * classes;
      for (int64_t c = 0; c < classes; ++c) {
        const double p = std::exp(static_cast<double>(row[c]) - max - log_sum);
        d[c] = static_cast<float>((p - (c == labels[n] ? 1.0 : 0.0)) / static_cast<double>(batch));
      }
    }
  }
  return {batch ? total / static_cast<double>(batch) : 0.0, count_correct(logits, labels)};
}

LossResult squared_hinge(const Tensor& logits, const int32_t* labels, Tensor* dlogits) {
  check(logits, labels, "squared_hinge");
  const int64_t batch = logits.dim(0), classes = logits.dim(1);
  if (dlogits) dlogits->resize(logits.shape());
  double total = 0.0;
  for (int64_t n = 0; n < batch; ++n) {
    const float* row = logits.data() + n * classes;
    float* d = dlogits ? dlogits->data() + n * classes : nullptr;
    for (int64_t c = 0; c < classes; ++c) {
      const double t = c == labels[n] ? 1.0 : -1.0;
      const double margin = std::max(0.0, 1.0 - t * row[c]);
      total += margin * margin;
      if (d) d[c] = static_cast<float>(-2.0 * t * margin / static_cast<double>(batch));
    }
  }
  return {batch ? total / static_cast<double>(batch) : 0.0, count_correct(logits, labels)};
}

LossResult compute_loss(LossKind kind, const Tensor& logits, const int32_t* labels, Tensor* dlogits) {
  return kind == LossKind::CrossEntropy ? softmax_cross_entropy(logits, labels, dlogits)
                                        : squared_hinge(logits, labels, dlogits);
}

}  // namespace bitblock
