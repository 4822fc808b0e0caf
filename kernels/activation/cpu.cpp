// Activations on the CPU: the loops of cpu_body.hpp, compiled portable here and for AVX2 and
// AVX-512 beside it, called for the active ISA (the same bits on each).
#include "activation/cpu_body.hpp"
#include "common/isa_table.hpp"

namespace bitblock::kernels {
namespace detail {
const ActivationCpu activation_portable = kActivationCpu;
}  // namespace detail

namespace {
const detail::ActivationCpu& pick() {
  return detail::isa_pick(detail::activation_portable, detail::activation_avx2, detail::activation_avx512);
}
}  // namespace

void activation_forward(ActFn fn, int bits, float max_value, int64_t n, const float* in, float* out) {
  pick().forward(fn, bits, max_value, n, in, out);
}

void activation_backward(ActFn fn, int bits, float max_value, int64_t n, const float* x, const float* dy,
                         float* out) {
  pick().backward(fn, bits, max_value, n, x, dy, out);
}

}  // namespace bitblock::kernels
