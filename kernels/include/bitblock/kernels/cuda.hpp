#pragma once
// CUDA versions of the kernels: device pointers, sizes, leading dimensions and a stream; same
// semantics and formats as the CPU versions (pack.hpp, bgemm.hpp, bsr.hpp, bsgemm.hpp). Calls
// are asynchronous on the stream; launch errors throw (cuda_check.hpp). These are the plain
// kernels (one output per thread, fp32); cuda_tc.hpp has the tensor-core versions and
// cuda_candidates.hpp lists both per product.
#ifdef BITBLOCK_HAS_CUDA
#include <cuda_runtime.h>

#include <cstdint>

#include "bitblock/kernels/bsr.hpp"
#include "bitblock/kernels/cuda_check.hpp"
#include "bitblock/kernels/tc_schedule.hpp"

namespace bitblock::kernels::cuda {

// True when a CUDA driver and at least one device are present.
bool device_available();
// The current device's multiprocessors and shared-memory limits (read once per device).
struct DeviceLimits {
  int sm_count = 1;
  size_t smem_per_block = 48 << 10;  // opt-in maximum of one block
  size_t smem_per_sm = 48 << 10;
};
const DeviceLimits& device_limits();

void pack_signs(const float* X, int64_t rows, int64_t cols, int64_t ldx, uint64_t* out, cudaStream_t stream);
void bgemm_binary(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C, int64_t ldc,
                  cudaStream_t stream);
void bgemm_float_binary(const float* X, int64_t M, int64_t ldx, const uint64_t* W, int64_t N, int64_t K,
                        const float* row_scales, float* Y, int64_t ldy, cudaStream_t stream);

// BsrWeights on the device, in every form a kernel reads:
//  * the layout (host copy) and its index: CSR (block_row_ptr, block_col_idx), the block-row of
//    every kept block (block_row_of) and the block-column (CSC) view for the input gradient;
//  * packed: the BSR code stream (bsr.hpp; packed_bytes bytes, the buffer padded to whole words)
//    and row_scales;
//  * values: the dequantized kept blocks (kept * block_elems floats, ragged positions 0), the
//    operand of the plain kernels;
//  * tiles_fwd / tiles_bwd and the weight-gradient schedule: the tensor-core operands
//    (bsr_tiles.hpp, tc_schedule.hpp), present when tc_blocks_supported(block sizes).
// All three code forms hold the same codes: upload_bsr fills them from a BsrWeights, the device
// quantizer (cuda_tc.hpp: quantize_blocks) from latent floats every training step. The CUDA
// bsgemm kernels take block sizes up to 256.
struct DeviceBsr {
  BsrLayout layout;  // host copy of the sizes and index
  int bits = 1;
  DeviceBuffer<int32_t> block_row_ptr, block_col_idx, block_row_of;  // block_row_of: per kept block
  DeviceBuffer<int32_t> block_col_ptr, col_block_row, col_block_id;  // CSC view
  int64_t packed_bytes = 0;
  DeviceBuffer<uint8_t> packed;
  DeviceBuffer<float> row_scales, values;
  DeviceBuffer<uint32_t> tiles_fwd, tiles_bwd;
  WgradSchedule wgrad;  // host copy; units and items on the device below
  DeviceBuffer<WgradUnit> wgrad_units;
  DeviceBuffer<WgradItem> wgrad_items;
  // Partial weight gradients of the batch splits (wgrad_batch_splits): one slice of kept x block
  // elements per split, for as many splits as this layout can get.
  DeviceBuffer<float> wgrad_partials;

  bool has_tiles() const { return tiles_fwd.size() != 0; }
};

// The device form of a layout with all codes, scales and values zero (training fills them with
// quantize_blocks every step, or copies the effective values of float weights). bits 1..8, or 32
// for float weights (index and values only). Any block size: the plain products refuse blocks
// over 256 (InputError), the index, the moves and the transpose below take any.
DeviceBsr device_bsr_for_layout(const BsrLayout& layout, int bits);
// Uploads w (a model file's weights): index, codes, scales, tile streams and schedule
// (host-built), values dequantized on the device (bsr_dequantize).
DeviceBsr upload_bsr(const BsrWeights& w, cudaStream_t stream);
// Training: W's codes, scales and values from the compact latent kept blocks (device, kept x
// block_rows x block_cols floats in BsrLayout order, WeightConstraint::apply_blocks' input) and
// per-row scales (device, rows floats; per-layer scales repeated). Code = quantize_code(latent,
// scale of its row, bits) (kbit.hpp), bit for bit the CPU constraint's codes; values = code *
// scale, apply_blocks' effective weights bit for bit; ragged positions get zero bits and value 0.
// Writes packed, values, row_scales (copied unless row_scales is W.row_scales) and, when present,
// both tile streams.
void quantize_blocks(const float* latent, const float* row_scales, DeviceBsr& W, cudaStream_t stream);
// values = codes * row_scales from the packed codes (after the packed codes or scales changed).
void bsr_dequantize(DeviceBsr& w, cudaStream_t stream);

void bsgemm_forward(const float* X, int64_t M, int64_t ldx, const DeviceBsr& W, float* Y, int64_t ldy,
                    cudaStream_t stream);
void bsgemm_backward_input(const float* dY, int64_t M, int64_t lddy, const DeviceBsr& W, float* dX, int64_t lddx,
                           cudaStream_t stream);
void bsgemm_backward_weight(const float* dY, int64_t M, int64_t lddy, const float* X, int64_t ldx,
                            const DeviceBsr& W, float* dW, cudaStream_t stream);
// W^T's values as BSR of bc x br blocks, in the order of the block-column view (block_col_ptr /
// col_block_row / col_block_id): the operand of a transposed product through cuSPARSE.
void bsr_transpose_values(const DeviceBsr& W, float* transposed, cudaStream_t stream);
// bsgemm.hpp's moves between compact kept blocks and the dense rows x cols matrix, on the device.
void bsr_gather_blocks(const DeviceBsr& W, const float* dense, float* blocks, cudaStream_t stream);
void bsr_write_blocks(const DeviceBsr& W, const float* blocks, float* dense, cudaStream_t stream);
void bsr_scatter_blocks(const DeviceBsr& W, const float* blocks, float* dense, cudaStream_t stream);
// out[0..n) = *scale (a per-layer scale as per-row scales, for quantize_blocks).
void broadcast_scale(const float* scale, int64_t n, float* out, cudaStream_t stream);

}  // namespace bitblock::kernels::cuda
#endif  // BITBLOCK_HAS_CUDA
