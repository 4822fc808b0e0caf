#pragma once
// One source, several ISAs: an op's loops written once in a body header (`<op>/cpu_body.hpp`) and
// compiled three times, by cpu.cpp (portable), cpu_avx2.cpp and cpu_avx512.cpp (CMake gives the
// *_avx2 / *_avx512 files their -m flags). Each compilation fills a table of function pointers;
// the public function calls the table of the active ISA (cpu_features.hpp, BITBLOCK_ISA).
// Floating-point contraction is off in the ISA files, so every table computes the same bits:
// only the vector width changes.
#include "bitblock/kernels/cpu_features.hpp"

namespace bitblock::kernels::detail {

template <typename Table>
const Table& isa_pick(const Table& portable, const Table& avx2, const Table& avx512) {
  switch (active_isa()) {
    case Isa::Avx512: return avx512;
    case Isa::Avx2: return avx2;
    case Isa::Portable: break;
  }
  return portable;
}

}  // namespace bitblock::kernels::detail
