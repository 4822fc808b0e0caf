// Max pooling compiled for AVX2 (cpu_body.hpp).
#include "pool/cpu_body.hpp"

namespace bitblock::kernels::detail {
const PoolCpu pool_avx2 = kPoolCpu;
}  // namespace bitblock::kernels::detail
