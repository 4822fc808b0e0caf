#pragma once
// Which SIMD paths this CPU can run, read once from cpuid. BITBLOCK_ISA=portable|avx2|avx512
// in the environment caps the choice (for tests and benchmarks of every path on one machine).
#include <string>

namespace bitblock::kernels {

enum class Isa { Portable = 0, Avx2 = 1, Avx512 = 2 };

struct CpuFeatures {
  bool avx2 = false;        // AVX2 + FMA + POPCNT
  bool avx512 = false;      // AVX-512 F/BW/VL/DQ + VPOPCNTDQ
};

const CpuFeatures& cpu_features();
// The best ISA supported by the CPU and allowed by BITBLOCK_ISA.
Isa active_isa();
// Force an ISA (clamped to what the CPU supports); returns the ISA now active.
Isa set_isa(Isa isa);
const char* isa_name(Isa isa);

}  // namespace bitblock::kernels
