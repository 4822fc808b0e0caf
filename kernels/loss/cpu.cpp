// Losses on the CPU: samples in order, the total in double.
#include <algorithm>
#include <cmath>

#include "bitblock/kernels/loss.hpp"

namespace bitblock::kernels {
namespace {

int64_t count_correct(const float* logits, const int32_t* labels, int64_t batch, int64_t classes) {
  int64_t correct = 0;
  for (int64_t n = 0; n < batch; ++n) {
    const float* row = logits + n * classes;
    if (std::max_element(row, row + classes) - row == labels[n]) ++correct;
  }
  return correct;
}

double softmax_cross_entropy(const float* logits, const int32_t* labels, int64_t batch, int64_t classes,
                             float* dlogits) {
  double total = 0.0;
  for (int64_t n = 0; n < batch; ++n) {
    const float* row = logits + n * classes;
    const float max = *std::max_element(row, row + classes);
    double sum = 0.0;
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(static_cast<double>(row[c]) - max);
    const double log_sum = std::log(sum);
    total += log_sum - (static_cast<double>(row[labels[n]]) - max);
    if (dlogits) {
      // d/dy_c = (softmax_c - [c == label]) / batch
      float* d = dlogits + n * classes;
      for (int64_t c = 0; c < classes; ++c) {
        const double p = std::exp(static_cast<double>(row[c]) - max - log_sum);
        d[c] = static_cast<float>((p - (c == labels[n] ? 1.0 : 0.0)) / static_cast<double>(batch));
      }
    }
  }
  return total;
}

double squared_hinge(const float* logits, const int32_t* labels, int64_t batch, int64_t classes, float* dlogits) {
  double total = 0.0;
  for (int64_t n = 0; n < batch; ++n) {
    const float* row = logits + n * classes;
    float* d = dlogits ? dlogits + n * classes : nullptr;
    for (int64_t c = 0; c < classes; ++c) {
      const double t = c == labels[n] ? 1.0 : -1.0;
      const double margin = std::max(0.0, 1.0 - t * row[c]);
      total += margin * margin;
      if (d) d[c] = static_cast<float>(-2.0 * t * margin / static_cast<double>(batch));
    }
  }
  return total;
}

}  // namespace

void loss_forward_backward(LossKind kind, const float* logits, const int32_t* labels, int64_t batch, int64_t classes,
                           float* dlogits, LossStats* stats) {
  const double total = kind == LossKind::CrossEntropy ? softmax_cross_entropy(logits, labels, batch, classes, dlogits)
                                                      : squared_hinge(logits, labels, batch, classes, dlogits);
  const double mean = batch ? total / static_cast<double>(batch) : 0.0;
  stats->last_loss = mean;
  stats->loss_sum += mean * double(batch);
  stats->correct += count_correct(logits, labels, batch, classes);
  stats->seen += batch;
}

}  // namespace bitblock::kernels
