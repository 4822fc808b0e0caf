// Losses by definition: softmax probabilities and hinge margins per element, in double.
#include <cmath>

#include "bitblock/kernels/loss.hpp"

namespace bitblock::kernels::reference {

void loss_forward_backward(LossKind kind, const float* logits, const int32_t* labels, int64_t batch, int64_t classes,
                           float* dlogits, LossStats* stats) {
  double total = 0.0;
  int64_t correct = 0;
  for (int64_t n = 0; n < batch; ++n) {
    const float* row = logits + n * classes;
    int64_t best = 0;
    for (int64_t c = 1; c < classes; ++c)
      if (row[c] > row[best]) best = c;
    correct += best == labels[n];
    if (kind == LossKind::CrossEntropy) {
      double sum = 0.0;
      for (int64_t c = 0; c < classes; ++c) sum += std::exp(static_cast<double>(row[c]));
      total += std::log(sum) - row[labels[n]];
      for (int64_t c = 0; c < classes && dlogits; ++c)
        dlogits[n * classes + c] =
            static_cast<float>((std::exp(static_cast<double>(row[c])) / sum - (c == labels[n])) / double(batch));
    } else {
      for (int64_t c = 0; c < classes; ++c) {
        const double t = c == labels[n] ? 1.0 : -1.0;
        const double margin = 1.0 - t * row[c] > 0.0 ? 1.0 - t * row[c] : 0.0;
        total += margin * margin;
        if (dlogits) dlogits[n * classes + c] = static_cast<float>(-2.0 * t * margin / double(batch));
      }
    }
  }
  const double mean = batch ? total / double(batch) : 0.0;
  stats->last_loss = mean;
  stats->loss_sum += mean * double(batch);
  stats->correct += correct;
  stats->seen += batch;
}

}  // namespace bitblock::kernels::reference
