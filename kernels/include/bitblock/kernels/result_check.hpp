#pragma once
// Acceptance of a product's result against a reference, with a bound that holds element by
// element: |got - ref| <= rel * sum_k |a_k w_k| for each output, where sum_k |a_k w_k| (the
// magnitude) comes from the same product on the operands' absolute values. A relative bound per
// element is what rounding guarantees; it stays tight where outputs are small, so a result missing
// one kept block's terms, or zeros, fail it (a tolerance scaled by the largest output would not).
// The CUDA autotuner (cuda_choice.hpp) checks every candidate with it before timing it.
#include <cstddef>
#include <cstdint>

namespace bitblock::kernels {

// Unit roundoff of an operand rounded to bf16 (8 significant bits) and of fp32.
constexpr double kBf16Rounding = 1.0 / 256;
constexpr double kFp32Rounding = 1.0 / (1 << 24);

// rel for a product of `depth` terms whose operands were rounded with relative error
// `operand_rounding` in total (0: fp32 operands, kBf16Rounding: one bf16 operand, 2 *
// kBf16Rounding: both), summed in fp32 in any order by the candidate and by the reference
// (depth * kFp32Rounding each, the first-order bound on a recursive sum).
double product_rel_bound(double operand_rounding, int64_t depth);

struct ResultCheck {
  bool accepted = true;
  double worst = 0.0;      // max over outputs of |got - ref| / bound (accepted: <= 1)
  double max_error = 0.0;  // max |got - ref|
  int64_t worst_index = -1;
};

// n outputs; a NaN or infinite output is never accepted. Where the magnitude is 0 the reference
// is an empty sum and got must be 0 too.
ResultCheck check_result(const float* got, const float* ref, const float* magnitude, size_t n, double rel);

}  // namespace bitblock::kernels
