// Host side of the tensor-core schedules (tc_schedule.hpp): panel sizes for the forward and
// input-gradient products, and the rectangles and items of the weight gradient.
#include "bitblock/kernels/tc_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "bitblock/common/error.hpp"
#include "bitblock/kernels/bsr_tiles.hpp"

namespace bitblock::kernels {

TcProductSchedule tc_product_schedule(int64_t M, int64_t slots, int out_tiles, int m_tiles, int group, int warps,
                                      int sm_count, int ctas_per_sm) {
  TcProductSchedule s;
  s.rows = M;
  s.m_tiles = m_tiles;
  s.slots = slots;
  s.out_tiles = out_tiles;
  s.group = std::max(1, std::min(group, out_tiles));
  s.warps = warps;
  const int64_t batch_tiles = std::max<int64_t>(1, s.batch_tiles());
  const int64_t target = std::max<int64_t>(1, int64_t{sm_count} * std::max(1, ctas_per_sm));
  const int64_t items = std::max<int64_t>(1, slots * s.groups_per_slot());
  const int64_t most = std::max<int64_t>(1, items / warps);  // panels that still give every warp an item
  const int64_t panels = std::clamp<int64_t>((target + batch_tiles / 2) / batch_tiles, 1, most);
  s.slots_per_cta = std::max<int64_t>(1, (slots + panels - 1) / panels);
  return s;
}

namespace {

// Items of one rectangle, in block-row, r-tile order; c-tiles of the block-row's kept blocks in
// the rectangle taken in pairs.
void rectangle_items(const BsrLayout& l, int64_t i0, int64_t i1, int64_t j0, int64_t j1,
                     std::vector<WgradItem>& items) {
  const int tr_count = l.block_rows / kTile, tc_count = l.block_cols / kTile;
  struct CTile {
    int32_t x_col, out, k0;
  };
  std::vector<CTile> ctiles;
  for (int64_t i = i0; i < i1; ++i) {
    const auto first = l.block_col_idx.begin() + l.block_row_ptr[i];
    const auto last = l.block_col_idx.begin() + l.block_row_ptr[i + 1];
    const auto lo = std::lower_bound(first, last, static_cast<int32_t>(j0));
    const auto hi = std::lower_bound(first, last, static_cast<int32_t>(j1));
    if (lo == hi) continue;
    for (int tr = 0; tr < tr_count; ++tr) {
      ctiles.clear();
      for (auto it = lo; it != hi; ++it) {
        const int64_t b = it - l.block_col_idx.begin();
        for (int tc = 0; tc < tc_count; ++tc) {
          ctiles.push_back({static_cast<int32_t>((*it - j0) * l.block_cols + tc * kTile),
                            static_cast<int32_t>(b * l.block_elems() + int64_t{tr} * kTile * l.block_cols + tc * kTile),
                            static_cast<int32_t>(int64_t{*it} * l.block_cols + tc * kTile)});
        }
      }
      for (size_t p = 0; p < ctiles.size(); p += 2) {
        const CTile& a = ctiles[p];
        const bool pair = p + 1 < ctiles.size();
        const CTile& b = pair ? ctiles[p + 1] : a;
        WgradItem item{};
        item.x_col[0] = a.x_col;
        item.x_col[1] = b.x_col;
        item.d_col = static_cast<int32_t>((i - i0) * l.block_rows + tr * kTile);
        item.out[0] = a.out;
        item.out[1] = pair ? b.out : -1;
        item.n0 = static_cast<int32_t>(i * l.block_rows + tr * kTile);
        item.k0[0] = a.k0;
        item.k0[1] = b.k0;
        items.push_back(item);
      }
    }
  }
}

}  // namespace

WgradSchedule wgrad_schedule(const BsrLayout& l, int sm_count, size_t smem_per_block) {
  if (!tc_blocks_supported(l.block_rows, l.block_cols)) {
    fail_input("wgrad_schedule", "block " + std::to_string(l.block_rows) + "x" + std::to_string(l.block_cols) +
                                     " is not a multiple of 8 (at most 256) on each side");
  }
  constexpr int64_t kInt32 = std::numeric_limits<int32_t>::max();
  if (l.kept_blocks() * l.block_elems() >= kInt32 || l.rows >= kInt32 || l.cols >= kInt32) {
    fail_input("wgrad_schedule", "layout too large for 32-bit weight-gradient indices");
  }
  WgradSchedule s;
  const int64_t nbr = l.num_block_rows(), nbc = l.num_block_cols(), kept = l.kept_blocks();
  if (kept == 0) return s;
  // Items per unit: about one unit per multiprocessor (the larger a rectangle, the more kept
  // blocks share each staged column), at most one full CTA's worth. Two CTAs fit on a
  // multiprocessor; wgrad_batch_splits fills the second by splitting the batch.
  const double items_per_block = std::max(0.5, (l.block_rows / kTile) * (l.block_cols / kTile) / 2.0);
  const double total_items = static_cast<double>(kept) * items_per_block;
  const int64_t per_unit_max = int64_t{s.warps} * s.items_per_warp;
  const double target = std::clamp(total_items / std::max(1, sm_count), 8.0, double(per_unit_max));
  const double density = static_cast<double>(kept) / static_cast<double>(nbr * nbc);
  // Area (in blocks) holding `target` items, with about as many staged X as dY columns.
  const double area = target / items_per_block / density;
  const double p = std::sqrt(area * l.block_cols / l.block_rows);
  int64_t P = std::clamp<int64_t>(std::llround(p), 1, nbr);
  int64_t Q = std::clamp<int64_t>(std::llround(area / static_cast<double>(P)), 1, nbc);
  // Shrink the wider staged side by an eighth (at least one block) until a unit fits.
  while ((P > 1 || Q > 1) &&
         wgrad_smem_bytes(Q * l.block_cols, P * l.block_rows, s.warps, s.items_per_warp) > smem_per_block) {
    if (Q > 1 && (Q * l.block_cols >= P * l.block_rows || P == 1)) {
      Q -= std::max<int64_t>(1, Q / 8);
    } else {
      P -= std::max<int64_t>(1, P / 8);
    }
  }
  s.x_cols = Q * l.block_cols;
  s.d_cols = P * l.block_rows;
  std::vector<WgradItem> rect;
  for (int64_t i0 = 0; i0 < nbr; i0 += P) {
    for (int64_t j0 = 0; j0 < nbc; j0 += Q) {
      const int64_t i1 = std::min(nbr, i0 + P), j1 = std::min(nbc, j0 + Q);
      rect.clear();
      rectangle_items(l, i0, i1, j0, j1, rect);
      for (size_t first = 0; first < rect.size(); first += static_cast<size_t>(per_unit_max)) {
        const size_t last = std::min(rect.size(), first + static_cast<size_t>(per_unit_max));
        const auto begin = static_cast<int32_t>(s.items.size());
        s.items.insert(s.items.end(), rect.begin() + static_cast<std::ptrdiff_t>(first),
                       rect.begin() + static_cast<std::ptrdiff_t>(last));
        s.units.push_back({static_cast<int32_t>(i0), static_cast<int32_t>(i1), static_cast<int32_t>(j0),
                           static_cast<int32_t>(j1), begin, static_cast<int32_t>(s.items.size())});
      }
    }
  }
  return s;
}

}  // namespace bitblock::kernels
