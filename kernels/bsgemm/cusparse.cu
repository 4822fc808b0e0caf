// cuSPARSE BSR products (cusparse_bsr.hpp). Row-major [M, n] arrays are column-major n x M
// matrices with leading dimension n, so Y = X W^T is Y^T = W X^T with W the BSR operand.
#include <map>
#include <stdexcept>

#include "bitblock/kernels/cuda.hpp"
#include "bitblock/kernels/cusparse_check.hpp"
#include "bitblock/kernels/cusparse_bsr.hpp"
#include "common/cuda_handles.hpp"

namespace bitblock::kernels::cuda {

namespace {

// Dense matrix descriptor for one call (a host-side object; nothing is enqueued).
struct DnMat {
  cusparseDnMatDescr_t d = nullptr;
  DnMat(int64_t rows, int64_t cols, int64_t ld, const float* p, cusparseOrder_t order) {
    CUSPARSE_CHECK(cusparseCreateDnMat(&d, rows, cols, ld, const_cast<float*>(p), CUDA_R_32F, order));
  }
  ~DnMat() { cusparseDestroyDnMat(d); }
  DnMat(const DnMat&) = delete;
  DnMat& operator=(const DnMat&) = delete;
};

struct SpMat {
  cusparseSpMatDescr_t d = nullptr;
  SpMat(int64_t brows, int64_t bcols, int64_t nnzb, int64_t rb, int64_t cb, const int32_t* ptr, const int32_t* idx,
        float* values) {
    CUSPARSE_CHECK(cusparseCreateBsr(&d, brows, bcols, nnzb, rb, cb, const_cast<int32_t*>(ptr),
                                     const_cast<int32_t*>(idx), values, CUSPARSE_INDEX_32I, CUSPARSE_INDEX_32I,
                                     CUSPARSE_INDEX_BASE_ZERO, CUDA_R_32F, CUSPARSE_ORDER_ROW));
  }
  ~SpMat() { cusparseDestroySpMat(d); }
  SpMat(const SpMat&) = delete;
  SpMat& operator=(const SpMat&) = delete;
};

}  // namespace

struct CusparseBsr::State {
  const DeviceBsr& w;
  DeviceBuffer<float> transposed;           // W^T's values (bc x br blocks, block-column order)
  std::map<int64_t, DeviceBuffer<uint8_t>> work;  // per (product, M): workspace
  explicit State(const DeviceBsr& bsr) : w(bsr) {}
  void* workspace(int product, int64_t M, size_t bytes) {
    DeviceBuffer<uint8_t>& b = work[M * 4 + product];
    if (b.size() < bytes) b = DeviceBuffer<uint8_t>(std::max<size_t>(bytes, 1));
    return b.get();
  }
};

CusparseBsr::CusparseBsr(const DeviceBsr& w) : s_(std::make_unique<State>(w)) {
  const BsrLayout& l = w.layout;
  if (l.block_rows != l.block_cols || l.block_rows < 2 || l.rows % l.block_rows != 0 || l.cols % l.block_cols != 0)
    throw std::runtime_error("cuSPARSE BSR: needs square blocks > 1 and no ragged edge");
  s_->transposed = DeviceBuffer<float>(static_cast<size_t>(std::max<int64_t>(1, l.kept_blocks() * l.block_elems())));
}

CusparseBsr::~CusparseBsr() = default;

void CusparseBsr::forward(const float* X, int64_t M, float* Y, cudaStream_t stream) {
  const BsrLayout& l = s_->w.layout;
  cusparseHandle_t h = cusparse_handle(stream);
  SpMat a(l.num_block_rows(), l.num_block_cols(), l.kept_blocks(), l.block_rows, l.block_cols,
          s_->w.block_row_ptr.get(), s_->w.block_col_idx.get(), s_->w.values.get());
  DnMat b(l.cols, M, l.cols, X, CUSPARSE_ORDER_COL), c(l.rows, M, l.rows, Y, CUSPARSE_ORDER_COL);
  const float one = 1.0f, zero = 0.0f;
  size_t bytes = 0;
  CUSPARSE_CHECK(cusparseSpMM_bufferSize(h, CUSPARSE_OPERATION_NON_TRANSPOSE, CUSPARSE_OPERATION_NON_TRANSPOSE, &one,
                                         a.d, b.d, &zero, c.d, CUDA_R_32F, CUSPARSE_SPMM_ALG_DEFAULT, &bytes));
  CUSPARSE_CHECK(cusparseSpMM(h, CUSPARSE_OPERATION_NON_TRANSPOSE, CUSPARSE_OPERATION_NON_TRANSPOSE, &one, a.d, b.d,
                              &zero, c.d, CUDA_R_32F, CUSPARSE_SPMM_ALG_DEFAULT, s_->workspace(0, M, bytes)));
}

void CusparseBsr::backward_input(const float* dY, int64_t M, float* dX, cudaStream_t stream) {
  const BsrLayout& l = s_->w.layout;
  bsr_transpose_values(s_->w, s_->transposed.get(), stream);
  cusparseHandle_t h = cusparse_handle(stream);
  SpMat a(l.num_block_cols(), l.num_block_rows(), l.kept_blocks(), l.block_cols, l.block_rows,
          s_->w.block_col_ptr.get(), s_->w.col_block_row.get(), s_->transposed.get());
  DnMat b(l.rows, M, l.rows, dY, CUSPARSE_ORDER_COL), c(l.cols, M, l.cols, dX, CUSPARSE_ORDER_COL);
  const float one = 1.0f, zero = 0.0f;
  size_t bytes = 0;
  CUSPARSE_CHECK(cusparseSpMM_bufferSize(h, CUSPARSE_OPERATION_NON_TRANSPOSE, CUSPARSE_OPERATION_NON_TRANSPOSE, &one,
                                         a.d, b.d, &zero, c.d, CUDA_R_32F, CUSPARSE_SPMM_ALG_DEFAULT, &bytes));
  CUSPARSE_CHECK(cusparseSpMM(h, CUSPARSE_OPERATION_NON_TRANSPOSE, CUSPARSE_OPERATION_NON_TRANSPOSE, &one, a.d, b.d,
                              &zero, c.d, CUDA_R_32F, CUSPARSE_SPMM_ALG_DEFAULT, s_->workspace(1, M, bytes)));
}

void CusparseBsr::backward_weight(const float* dY, int64_t M, const float* X, float* dW, cudaStream_t stream) {
  const BsrLayout& l = s_->w.layout;
  // beta = 0 still reads C: start from zeros, not from whatever the buffer held.
  CUDA_CHECK(cudaMemsetAsync(dW, 0, static_cast<size_t>(l.kept_blocks() * l.block_elems()) * sizeof(float), stream));
  cusparseHandle_t h = cusparse_handle(stream);
  DnMat a(l.rows, M, l.rows, dY, CUSPARSE_ORDER_COL);  // dY^T: rows x M
  DnMat b(M, l.cols, l.cols, X, CUSPARSE_ORDER_ROW);   // X: M x cols
  SpMat c(l.num_block_rows(), l.num_block_cols(), l.kept_blocks(), l.block_rows, l.block_cols,
          s_->w.block_row_ptr.get(), s_->w.block_col_idx.get(), dW);
  const float one = 1.0f, zero = 0.0f;
  size_t bytes = 0;
  CUSPARSE_CHECK(cusparseSDDMM_bufferSize(h, CUSPARSE_OPERATION_NON_TRANSPOSE, CUSPARSE_OPERATION_NON_TRANSPOSE, &one,
                                          a.d, b.d, &zero, c.d, CUDA_R_32F, CUSPARSE_SDDMM_ALG_DEFAULT, &bytes));
  CUSPARSE_CHECK(cusparseSDDMM(h, CUSPARSE_OPERATION_NON_TRANSPOSE, CUSPARSE_OPERATION_NON_TRANSPOSE, &one, a.d, b.d,
                               &zero, c.d, CUDA_R_32F, CUSPARSE_SDDMM_ALG_DEFAULT, s_->workspace(2, M, bytes)));
}

}  // namespace bitblock::kernels::cuda
