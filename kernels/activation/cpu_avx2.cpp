// Activations compiled for AVX2 (cpu_body.hpp).
#include "activation/cpu_body.hpp"

namespace bitblock::kernels::detail {
const ActivationCpu activation_avx2 = kActivationCpu;
}  // namespace bitblock::kernels::detail
