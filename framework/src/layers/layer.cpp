#include "bitblock/framework/layer.hpp"

#include "bitblock/framework/weight_matrix.hpp"

namespace bitblock {

WeightConstraint* Layer::constraint() {
  WeightMatrix* w = weights();
  return w ? w->constraint() : nullptr;
}

}  // namespace bitblock
