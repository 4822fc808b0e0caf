// Batch normalisation compiled for AVX2 (cpu_body.hpp).
#include "batchnorm/cpu_body.hpp"

namespace bitblock::kernels::detail {
const BatchnormCpu batchnorm_avx2 = kBatchnormCpu;
}  // namespace bitblock::kernels::detail
