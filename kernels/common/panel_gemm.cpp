#include "common/panel_gemm.hpp"

#include <algorithm>
#include <omp.h>

#include <cmath>

#include "bitblock/kernels/cpu_features.hpp"

namespace bitblock::kernels::detail {

void FloatPanel::reset(int64_t first_out, int out_width, int64_t terms) {
  out0 = first_out;
  width = out_width;
  len = terms;
  idx.assign(static_cast<size_t>(terms), 0);
  data.assign(static_cast<size_t>(chunks() * terms * kPanelChunk), 0.0f);
}

void panel_rows_portable(const float* A, int64_t rows, int64_t lda, const FloatPanel& p, float* out, int64_t ldo,
                         PanelOp op) {
  float acc[kPanelChunk];
  for (int64_t m = 0; m < rows; ++m) {
    const float* a = A + m * lda;
    for (int c = 0; c < p.chunks(); ++c) {
      const int w = std::min(kPanelChunk, p.width - c * kPanelChunk);
      std::fill(acc, acc + kPanelChunk, 0.0f);
      for (int64_t l = 0; l < p.len; ++l) {
        const float x = a[p.idx[l]];
        const float* t = p.term(c, l);
        if (op.sign_flip) {
          for (int v = 0; v < w; ++v) acc[v] += std::signbit(t[v]) ? -x : x;
        } else {
          for (int v = 0; v < w; ++v) acc[v] += x * t[v];
        }
      }
      float* o = out + m * ldo + p.out0 + c * kPanelChunk;
      const float* s = op.scale ? op.scale + p.out0 + c * kPanelChunk : nullptr;
      for (int v = 0; v < w; ++v) o[v] = s ? acc[v] * s[v] : acc[v];
    }
  }
}

void run_panels(const float* A, int64_t M, int64_t lda, int64_t a_cols, const std::vector<FloatPanel>& panels,
                float* out, int64_t ldo, PanelOp op) {
  const bool avx2 = active_isa() != Isa::Portable;
  // Rows of A per pass: about 256 KiB of A stays cached while every panel streams by.
  const int64_t mb = std::clamp<int64_t>((int64_t{1} << 16) / std::max<int64_t>(a_cols, 1) / 6 * 6, 6, 480);
  const auto np = static_cast<int64_t>(panels.size());
  // Each thread owns a contiguous run of panels with an equal share of the work and walks the
  // batch by itself: one parallel region, no barrier per pass (a descheduled thread on a busy
  // machine then delays only its own share).
  std::vector<int64_t> work(static_cast<size_t>(np + 1), 0);
  for (int64_t i = 0; i < np; ++i) {
    const FloatPanel& p = panels[static_cast<size_t>(i)];
    work[i + 1] = work[i] + (p.len + 1) * p.chunks();
  }
#pragma omp parallel
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t lo = work[np] * t / nt, hi = work[np] * (t + 1) / nt;
    const int64_t p0 = std::lower_bound(work.begin(), work.end() - 1, lo) - work.begin();
    const int64_t p1 = std::lower_bound(work.begin(), work.end() - 1, hi) - work.begin();
    const int64_t first = t == 0 ? 0 : p0, last = t == nt - 1 ? np : p1;
    for (int64_t m0 = 0; m0 < M; m0 += mb) {
      const int64_t rows = std::min(mb, M - m0);
      for (int64_t i = first; i < last; ++i) {
        if (avx2) {
          panel_rows_avx2(A + m0 * lda, rows, lda, panels[i], out + m0 * ldo, ldo, op);
        } else {
          panel_rows_portable(A + m0 * lda, rows, lda, panels[i], out + m0 * ldo, ldo, op);
        }
      }
    }
  }
}

}  // namespace bitblock::kernels::detail
