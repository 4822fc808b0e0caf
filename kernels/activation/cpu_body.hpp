#pragma once
// Activations on the CPU, the loops of every ISA (common/isa_table.hpp): included once by cpu.cpp,
// cpu_avx2.cpp and cpu_avx512.cpp, each compiling it for its ISA into kActivationCpu. One
// vectorizable loop per function (the per-element work inlines), OpenMP chunks for conv-sized
// tensors.
#include <cstring>

#include "activation/cpu_table.hpp"
#include "activation/elements.hpp"
#include "common/parallel.hpp"

namespace bitblock::kernels::detail {
namespace {

// Runs body(i0, i1) over [0, n): one plain call for small n, OpenMP chunks for large n. Inside an
// OpenMP region the captured constants are shared memory the stores might alias, which keeps
// the compiler from vectorizing; the plain call leaves them in registers.
template <typename Body>
void over_range(int64_t n, Body body) {
  if (n < kParallelMinElements) {
    body(int64_t{0}, n);
    return;
  }
  constexpr int64_t kChunk = int64_t{1} << 16;
#pragma omp parallel for schedule(static)
  for (int64_t i0 = 0; i0 < n; i0 += kChunk) body(i0, std::min(n, i0 + kChunk));
}

// out[i] = f(in[i]).
template <typename F>
void map(int64_t n, const float* in, float* out, F f) {
  over_range(n, [in, out, f](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) out[i] = f(in[i]);
  });
}

// out[i] = pass(x[i]) ? dy[i] : 0; dy is loaded unconditionally so the select vectorizes.
template <typename F>
void gate(int64_t n, const float* x, const float* dy, float* out, F pass) {
  over_range(n, [x, dy, out, pass](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const float g = dy[i];
      out[i] = pass(x[i]) ? g : 0.0f;
    }
  });
}

void forward(ActFn fn, int bits, float max_value, int64_t n, const float* in, float* out) {
  if (fn == ActFn::Identity) {
    if (n > 0 && in != out) std::memcpy(out, in, static_cast<size_t>(n) * sizeof(float));
    return;
  }
  with_activation({fn, bits, max_value}, [&](auto value, auto) { map(n, in, out, value); });
}

void backward(ActFn fn, int bits, float max_value, int64_t n, const float* x, const float* dy, float* out) {
  if (fn == ActFn::Identity) {
    if (n > 0 && dy != out) std::memcpy(out, dy, static_cast<size_t>(n) * sizeof(float));
    return;
  }
  with_activation({fn, bits, max_value}, [&](auto, auto passes) { gate(n, x, dy, out, passes); });
}

constexpr ActivationCpu kActivationCpu{forward, backward};

}  // namespace
}  // namespace bitblock::kernels::detail
