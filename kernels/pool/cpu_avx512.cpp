// Max pooling compiled for AVX-512 (cpu_body.hpp).
#include "pool/cpu_body.hpp"

namespace bitblock::kernels::detail {
const PoolCpu pool_avx512 = kPoolCpu;
}  // namespace bitblock::kernels::detail
