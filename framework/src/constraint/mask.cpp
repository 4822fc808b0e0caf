#include "constraint/mask.hpp"

#include <algorithm>
#include <numeric>
#include <utility>

#include "constraint/units.hpp"

namespace bitblock::detail {
namespace {

void fill_rect(const Rect& r, int64_t cols, uint8_t value, std::vector<uint8_t>& mask) {
  for (int64_t i = r.r0; i < r.r1; ++i)
    std::fill(mask.begin() + i * cols + r.c0, mask.begin() + i * cols + r.c1, value);
}

double squared_norm(const Rect& r, int64_t cols, const float* latent) {
  double sum = 0.0;
  for (int64_t i = r.r0; i < r.r1; ++i)
    for (int64_t j = r.c0; j < r.c1; ++j) {
      double w = latent[i * cols + j];
      sum += w * w;
    }
  return sum;
}

}  // namespace

void draw_random_mask(const ConstraintSpec& spec, int64_t rows, int64_t cols, Rng& rng,
                      std::vector<uint8_t>& mask) {
  mask.assign(static_cast<size_t>(rows * cols), 0);
  int64_t groups = random_group_count(spec, rows, cols);
  int64_t size = random_group_size(spec, rows, cols);
  int64_t keep = kept_units(size, spec.ratio);
  std::vector<int64_t> order(static_cast<size_t>(size));
  for (int64_t g = 0; g < groups; ++g) {
    // Partial Fisher-Yates: the first `keep` entries become a uniform random subset.
    std::iota(order.begin(), order.end(), int64_t{0});
    for (int64_t i = 0; i < keep; ++i) {
      auto j = i + static_cast<int64_t>(rng.below(static_cast<uint32_t>(size - i)));
      std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
      fill_rect(unit_rect(spec, rows, cols, g * size + order[static_cast<size_t>(i)]), cols, 1, mask);
    }
  }
}

void prune_by_magnitude(const ConstraintSpec& spec, int64_t rows, int64_t cols, const float* latent,
                        int64_t target_units, std::vector<uint8_t>& mask) {
  int64_t units = unit_count(spec, rows, cols);
  std::vector<std::pair<double, int64_t>> kept;  // (squared norm, unit)
  for (int64_t u = 0; u < units; ++u) {
    Rect r = unit_rect(spec, rows, cols, u);
    if (mask[static_cast<size_t>(r.r0 * cols + r.c0)]) kept.emplace_back(squared_norm(r, cols, latent), u);
  }
  auto excess = static_cast<int64_t>(kept.size()) - target_units;
  if (excess <= 0) return;
  // Pairs order by (norm, index), all distinct, so the `excess` smallest form one exact set:
  // the smallest norms, equal norms by lowest index.
  std::nth_element(kept.begin(), kept.begin() + (excess - 1), kept.end());
  for (int64_t i = 0; i < excess; ++i)
    fill_rect(unit_rect(spec, rows, cols, kept[static_cast<size_t>(i)].second), cols, 0, mask);
}

}  // namespace bitblock::detail
