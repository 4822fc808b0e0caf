#pragma once
// Choosing the sparsity mask: a fixed random draw, or magnitude pruning that only ever shrinks.
#include <cstdint>
#include <vector>

#include "bitblock/common/rng.hpp"
#include "bitblock/framework/constraint.hpp"

namespace bitblock::detail {

// Sets mask (rows*cols) to keep kept_units(group_size, ratio) units, uniformly at random, in
// every group (see random_group_size); everything else 0.
void draw_random_mask(const ConstraintSpec& spec, int64_t rows, int64_t cols, Rng& rng,
                      std::vector<uint8_t>& mask);

// Units whose first position is kept count as kept. Drops the kept units with the smallest L2
// norm of latent (ties: lowest unit index dropped first) until at most target_units remain.
void prune_by_magnitude(const ConstraintSpec& spec, int64_t rows, int64_t cols, const float* latent,
                        int64_t target_units, std::vector<uint8_t>& mask);

}  // namespace bitblock::detail
