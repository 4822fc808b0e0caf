// The descriptor lists of cuda_candidates.hpp. Empty in a CPU-only build.
#ifdef BITBLOCK_HAS_CUDA
#include "bitblock/kernels/cuda_candidates.hpp"

#include "bitblock/kernels/bsr_tiles.hpp"
#include "bitblock/kernels/cuda_tc.hpp"

namespace bitblock::kernels::cuda {
namespace {

BsrLayout shape_of(const BsrProblem& p) {
  BsrLayout l;
  l.rows = p.rows;
  l.cols = p.cols;
  l.block_rows = p.block_rows;
  l.block_cols = p.block_cols;
  return l;
}

bool plain_bsr(const BsrProblem& p) { return p.block_rows <= 256 && p.block_cols <= 256 && p.bits >= 1 && p.bits <= 8; }
bool tc_weight_grad(const BsrProblem& p) { return plain_bsr(p) && tc_blocks_supported(p.block_rows, p.block_cols); }
template <int kMTiles, bool kTransposed>
bool tc_product(const BsrProblem& p) {
  return plain_bsr(p) && tc_product_fits(shape_of(p), kMTiles, kTransposed);
}
bool any_binary(const BinaryProblem&) { return true; }

template <int kMTiles>
void forward_tc(const float* X, int64_t M, int64_t ldx, const DeviceBsr& W, float* Y, int64_t ldy, cudaStream_t stream) {
  bsgemm_forward_tc(X, M, ldx, W, Y, ldy, kMTiles, stream);
}
template <int kMTiles>
void input_grad_tc(const float* dY, int64_t M, int64_t lddy, const DeviceBsr& W, float* dX, int64_t lddx,
                   cudaStream_t stream) {
  bsgemm_backward_input_tc(dY, M, lddy, W, dX, lddx, kMTiles, stream);
}

}  // namespace

const std::vector<Candidate<BsrProblem, BsrProductLaunch>>& bsgemm_forward_candidates() {
  static const std::vector<Candidate<BsrProblem, BsrProductLaunch>> list = {
      {"plain", plain_bsr, bsgemm_forward},
      {"tc_m16", tc_product<1, false>, forward_tc<1>},
      {"tc_m32", tc_product<2, false>, forward_tc<2>},
      {"tc_m64", tc_product<4, false>, forward_tc<4>}};
  return list;
}

const std::vector<Candidate<BsrProblem, BsrProductLaunch>>& bsgemm_backward_input_candidates() {
  static const std::vector<Candidate<BsrProblem, BsrProductLaunch>> list = {
      {"plain", plain_bsr, bsgemm_backward_input},
      {"tc_m16", tc_product<1, true>, input_grad_tc<1>},
      {"tc_m32", tc_product<2, true>, input_grad_tc<2>},
      {"tc_m64", tc_product<4, true>, input_grad_tc<4>}};
  return list;
}

const std::vector<Candidate<BsrProblem, BsrWeightGradLaunch>>& bsgemm_backward_weight_candidates() {
  static const std::vector<Candidate<BsrProblem, BsrWeightGradLaunch>> list = {
      {"plain", plain_bsr, bsgemm_backward_weight}, {"tc", tc_weight_grad, bsgemm_backward_weight_tc}};
  return list;
}

const std::vector<Candidate<BinaryProblem, BinaryLaunch>>& bgemm_binary_candidates() {
  static const std::vector<Candidate<BinaryProblem, BinaryLaunch>> list = {
      {"plain", any_binary, bgemm_binary}, {"tc_b1", any_binary, bgemm_binary_tc_b1}, {"tc_s8", any_binary, bgemm_binary_tc_s8}};
  return list;
}

const std::vector<Candidate<BinaryProblem, FloatBinaryLaunch>>& bgemm_float_binary_candidates() {
  static const std::vector<Candidate<BinaryProblem, FloatBinaryLaunch>> list = {
      {"plain", any_binary, bgemm_float_binary}, {"tc_bf16", any_binary, bgemm_float_binary_tc}};
  return list;
}

}  // namespace bitblock::kernels::cuda
#endif  // BITBLOCK_HAS_CUDA
