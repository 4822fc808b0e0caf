// The masked binary product's plain loop with the popcount instruction (AVX2 machines have it).
#include "bgemm/blocks_kernel.hpp"

namespace bitblock::kernels::detail {

void sign_blocks_popcnt(const SignRows& x, const BinaryBlocks& W, int32_t* C, int64_t ldc) {
  sign_blocks_loop(x, W, C, ldc);
}

}  // namespace bitblock::kernels::detail
