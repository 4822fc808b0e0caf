// Batch normalisation compiled for AVX512 (cpu_body.hpp).
#include "batchnorm/cpu_body.hpp"

namespace bitblock::kernels::detail {
const BatchnormCpu batchnorm_avx512 = kBatchnormCpu;
}  // namespace bitblock::kernels::detail
