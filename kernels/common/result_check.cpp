// Per-element acceptance of a product's result (result_check.hpp).
#include "bitblock/kernels/result_check.hpp"

#include <cmath>
#include <limits>

namespace bitblock::kernels {

double product_rel_bound(double operand_rounding, int64_t depth) {
  // (1 + u_op)(1 + d u)^2 - 1 to first order, with a factor 2 of slack for the second-order terms.
  return 2.0 * (operand_rounding + 2.0 * static_cast<double>(depth) * kFp32Rounding);
}

ResultCheck check_result(const float* got, const float* ref, const float* magnitude, size_t n, double rel) {
  ResultCheck r;
  for (size_t i = 0; i < n; ++i) {
    const double err = std::fabs(double(got[i]) - double(ref[i]));
    // The smallest subnormal float keeps 0 / 0 defined; any real error over an empty sum fails.
    const double bound = rel * std::fabs(double(magnitude[i])) + std::numeric_limits<float>::denorm_min();
    double ratio = err / bound;
    if (!std::isfinite(got[i]) || std::isnan(ratio)) ratio = std::numeric_limits<double>::infinity();
    if (ratio > r.worst) {
      r.worst = ratio;
      r.worst_index = static_cast<int64_t>(i);
    }
    if (std::isfinite(err) && err > r.max_error) r.max_error = err;
  }
  r.accepted = r.worst <= 1.0;
  return r;
}

}  // namespace bitblock::kernels
