#pragma once
// SIMD binary GEMMs, each compiled only into its ISA's file (cpu_avx2.cpp, cpu_avx512.cpp) and
// called after the cpuid check (active_isa()).
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace bitblock::kernels::detail {

void bgemm_binary_avx2(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C,
                       int64_t ldc);
void bgemm_binary_avx512(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C,
                         int64_t ldc);

// 64-byte aligned word storage for vector loads (std::vector does not over-align). Movable (a
// moved vector keeps its buffer, so data stays valid), not copyable (a copy's data would point
// into the original).
template <typename T>
struct AlignedBuffer {
  std::vector<T> raw;
  T* data = nullptr;
  explicit AlignedBuffer(int64_t n) : raw(static_cast<size_t>(n) + 64 / sizeof(T)) {
    const auto misaligned = reinterpret_cast<uintptr_t>(raw.data()) % 64;
    data = raw.data() + (misaligned ? (64 - misaligned) / sizeof(T) : 0);
  }
  AlignedBuffer(AlignedBuffer&&) noexcept = default;
  AlignedBuffer& operator=(AlignedBuffer&&) noexcept = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
};
using AlignedWords = AlignedBuffer<uint64_t>;

// fn(std::integral_constant<int, R>{}) with R = rows (1 <= rows <= Max; smaller values give 1):
// register tiles are templates on their row count, chosen once per tile.
template <int Max, typename Fn>
void with_rows(int rows, Fn&& fn) {
  if constexpr (Max > 1) {
    if (rows < Max) {
      with_rows<Max - 1>(rows, fn);
      return;
    }
  }
  fn(std::integral_constant<int, Max>{});
}

// The driver both SIMD kernels share. Threads take contiguous runs of kRows-row tiles of A;
// each prepares its own operands (prepare(t0, t1) returns them: B regrouped for the vector
// lanes, small next to the product), so the region has no barrier and a descheduled thread on a
// busy machine delays only its own rows. Groups of 8 B rows are visited in passes of
// `groups_per_pass` (about 256 KiB of prepared B stays in L2 while the row tiles go by);
// tile(ops, t, g, mr, cols) computes tile t x group g, mr an integral_constant row count.
template <int kRows, typename Prepare, typename Tile>
void run_binary_tiles(int64_t M, int64_t N, int64_t K, int64_t groups_per_pass, Prepare prepare, Tile tile) {
  const int64_t groups = (N + 7) / 8;
  const int64_t tiles = (M + kRows - 1) / kRows;
#pragma omp parallel if (M * N * K > (int64_t{1} << 24))
  {
    const int64_t th = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t t0 = tiles * th / nt, t1 = tiles * (th + 1) / nt;
    if (t0 < t1) {
      auto ops = prepare(t0, t1);
      for (int64_t g0 = 0; g0 < groups; g0 += groups_per_pass) {
        const int64_t g1 = std::min(groups, g0 + groups_per_pass);
        for (int64_t t = t0; t < t1; ++t) {
          const int rows = static_cast<int>(std::min<int64_t>(kRows, M - t * kRows));
          for (int64_t g = g0; g < g1; ++g) {
            const int cols = static_cast<int>(std::min<int64_t>(8, N - g * 8));
            with_rows<kRows>(rows, [&](auto mr) { tile(ops, t, g, mr, cols); });
          }
        }
      }
    }
  }
}

}  // namespace bitblock::kernels::detail
