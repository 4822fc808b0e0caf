#pragma once
// Partial plans for the one-shot products (bsgemm_forward(W) needs only the forward values).
#include "bitblock/kernels/bsr_plan.hpp"

namespace bitblock::kernels::detail {
// Layout always; block-column view and bwd values when `backward`, fwd values when `forward`.
BsrPlan make_plan(const BsrWeights& W, bool forward, bool backward);
}  // namespace bitblock::kernels::detail
