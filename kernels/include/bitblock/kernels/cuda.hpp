#pragma once
// CUDA versions of the kernels: device pointers, sizes, leading dimensions and a stream; same
// semantics and formats as the CPU versions (pack.hpp, bgemm.hpp, bsr.hpp, bsgemm.hpp). Calls
// are asynchronous on the stream; launch errors throw (cuda_check.hpp).
#ifdef BITBLOCK_HAS_CUDA
#include <cuda_runtime.h>

#include <cstdint>

#include "bitblock/kernels/bsr.hpp"
#include "bitblock/kernels/cuda_check.hpp"

namespace bitblock::kernels::cuda {

// True when a CUDA driver and at least one device are present.
bool device_available();

void pack_signs(const float* X, int64_t rows, int64_t cols, int64_t ldx, uint64_t* out, cudaStream_t stream);
void bgemm_binary(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C, int64_t ldc,
                  cudaStream_t stream);
void bgemm_float_binary(const float* X, int64_t M, int64_t ldx, const uint64_t* W, int64_t N, int64_t K,
                        const float* row_scales, float* Y, int64_t ldy, cudaStream_t stream);

// BsrWeights on the device: the layout, packed codes and scales, the dequantized kept blocks
// (values, kept * block_elems floats, ragged positions 0) and the block-column (transposed)
// index for the input gradient. The CUDA bsgemm products take block sizes up to 256 (the index,
// the moves and the transpose any size).
struct DeviceBsr {
  BsrLayout layout;  // host copy of the sizes and index
  int bits = 1;
  DeviceBuffer<int32_t> block_row_ptr, block_col_idx, block_row_of;  // block_row_of: per kept block
  DeviceBuffer<int32_t> block_col_ptr, col_block_row, col_block_id;  // CSC view
  DeviceBuffer<uint8_t> packed;
  DeviceBuffer<float> row_scales, values;
};

// Uploads w and dequantizes its codes on the device (bsr_dequantize).
DeviceBsr upload_bsr(const BsrWeights& w, cudaStream_t stream);
// The index of a layout on the device, with values (zero) but no codes: the training path sets
// the values from the constraint's effective weights of the kept blocks (copy into values).
DeviceBsr device_bsr_for_layout(const BsrLayout& layout);
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

}  // namespace bitblock::kernels::cuda
#endif  // BITBLOCK_HAS_CUDA
