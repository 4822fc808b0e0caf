#pragma once
// Weight memory of a constrained matrix in bits (docs/constraints.md "Memory accounting"), by the model
// module's accounting (model/memory.hpp), which model files are checked against.
#include <cstdint>
#include <vector>

#include "bitblock/framework/constraint.hpp"
#include "bitblock/model/memory.hpp"

namespace bitblock::detail {

MemoryCost memory_cost(const ConstraintSpec& spec, int64_t rows, int64_t cols, const std::vector<uint8_t>& mask);

}  // namespace bitblock::detail
