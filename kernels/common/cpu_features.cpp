#include "bitblock/kernels/cpu_features.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace bitblock::kernels {

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = [] {
    CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    f.avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("popcnt");
    f.avx512 = f.avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512vpopcntdq");
#endif
    return f;
  }();
  return features;
}

namespace {
Isa best_supported() {
  const CpuFeatures& f = cpu_features();
  return f.avx512 ? Isa::Avx512 : f.avx2 ? Isa::Avx2 : Isa::Portable;
}

Isa clamp_to_cpu(Isa wanted) {
  Isa best = best_supported();
  return static_cast<int>(wanted) <= static_cast<int>(best) ? wanted : best;
}

Isa initial_isa() {
  Isa isa = best_supported();
  if (const char* env = std::getenv("BITBLOCK_ISA")) {
    if (std::strcmp(env, "portable") == 0) isa = Isa::Portable;
    else if (std::strcmp(env, "avx2") == 0) isa = clamp_to_cpu(Isa::Avx2);
    else if (std::strcmp(env, "avx512") == 0) isa = clamp_to_cpu(Isa::Avx512);
  }
  return isa;
}

std::atomic<int>& isa_slot() {
  static std::atomic<int> slot{static_cast<int>(initial_isa())};
  return slot;
}
}  // namespace

Isa active_isa() { return static_cast<Isa>(isa_slot().load(std::memory_order_relaxed)); }

Isa set_isa(Isa isa) {
  Isa chosen = clamp_to_cpu(isa);
  isa_slot().store(static_cast<int>(chosen), std::memory_order_relaxed);
  return chosen;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "portable";
  }
}

}  // namespace bitblock::kernels
