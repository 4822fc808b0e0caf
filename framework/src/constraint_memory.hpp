#pragma once
// Weight memory of a constrained matrix in bits (README "Memory accounting").
#include <cstdint>
#include <vector>

#include "bitblock/framework/constraint.hpp"

namespace bitblock::detail {

MemoryCost memory_cost(const ConstraintSpec& spec, int64_t rows, int64_t cols, const std::vector<uint8_t>& mask);

}  // namespace bitblock::detail
