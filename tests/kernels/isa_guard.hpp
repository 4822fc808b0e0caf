#pragma once
// Runs a test body once per CPU path this machine has, restoring the active ISA afterwards.
#include <gtest/gtest.h>

#include <functional>

#include "bitblock/kernels/cpu_features.hpp"

namespace bitblock::kernels::testing {

inline void for_each_isa(const std::function<void(Isa)>& body) {
  const Isa saved = active_isa();
  for (Isa isa : {Isa::Portable, Isa::Avx2, Isa::Avx512}) {
    if (set_isa(isa) != isa) continue;  // not available on this CPU
    SCOPED_TRACE(isa_name(isa));
    body(isa);
  }
  set_isa(saved);
}

}  // namespace bitblock::kernels::testing
