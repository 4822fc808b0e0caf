// Activations compiled for AVX512 (cpu_body.hpp).
#include "activation/cpu_body.hpp"

namespace bitblock::kernels::detail {
const ActivationCpu activation_avx512 = kActivationCpu;
}  // namespace bitblock::kernels::detail
