// CUDA benchmarks (registered only with a device): cuBLAS SGEMM, TF32 and FP16 GEMM, and
// cuSPARSE BSR SpMM (8x8 blocks) against our block-sparse and binary kernels. Timing uses CUDA
// events around each call; "speedup" is against cuBLAS SGEMM of the same shape in this process.
#ifdef BITBLOCK_HAS_CUDA
#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cusparse.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "bitblock/kernels/bsgemm.hpp"
#include "bitblock/kernels/cublas_check.hpp"
#include "bitblock/kernels/cuda.hpp"
#include "bitblock/kernels/cusparse_check.hpp"
#include "bitblock/kernels/pack.hpp"

namespace bitblock::bench {
namespace {

using kernels::cuda::DeviceBuffer;

std::vector<GemmShape> cuda_shapes() {
  std::vector<GemmShape> shapes;
  for (int64_t batch : {100, 1000}) {
    shapes.push_back({batch, 784, 1024});
    shapes.push_back({batch, 1024, 1024});
    shapes.push_back({batch, 4096, 4096});
  }
  return shapes;
}

template <typename T>
DeviceBuffer<T> device_copy(const std::vector<T>& v) {
  DeviceBuffer<T> d(v.size());
  d.upload(v.data(), v.size());
  return d;
}

// Seconds per call from CUDA events over the benchmark loop.
template <typename Fn>
double gpu_loop(benchmark::State& state, Fn&& fn) {
  fn();  // warm-up (also allocates library workspaces)
  CUDA_CHECK(cudaDeviceSynchronize());
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  double total = 0.0;
  int64_t iters = 0;
  for (auto _ : state) {
    CUDA_CHECK(cudaEventRecord(start));
    fn();
    CUDA_CHECK(cudaEventRecord(stop));
    CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0.0f;
    CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    state.SetIterationTime(ms * 1e-3);
    total += ms * 1e-3;
    ++iters;
  }
  CUDA_CHECK(cudaEventDestroy(start));
  CUDA_CHECK(cudaEventDestroy(stop));
  return iters ? total / static_cast<double>(iters) : 0.0;
}

cublasHandle_t cublas() {
  static cublasHandle_t handle = [] {
    cublasHandle_t h;
    CUBLAS_CHECK(cublasCreate(&h));
    return h;
  }();
  return handle;
}

enum class DenseKind { Sgemm, Tf32, Fp16 };
const char* dense_name(DenseKind k) { return k == DenseKind::Sgemm ? "sgemm" : k == DenseKind::Tf32 ? "tf32" : "fp16"; }

// Row-major Y[M x N] = X[M x K] W^T computed as column-major Y^T = W X^T.
void dense_gemm(DenseKind kind, const GemmShape& s, const void* x, const void* w, void* y) {
  const float one = 1.0f, zero = 0.0f;
  const auto M = static_cast<int>(s.M), N = static_cast<int>(s.N), K = static_cast<int>(s.K);
  const cudaDataType in = kind == DenseKind::Fp16 ? CUDA_R_16F : CUDA_R_32F;
  const cublasComputeType_t compute = kind == DenseKind::Tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  CUBLAS_CHECK(cublasGemmEx(cublas(), CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &one, w, in, K, x, in, K, &zero, y,
                            CUDA_R_32F, N, compute, CUBLAS_GEMM_DEFAULT));
}

std::string sgemm_key(const GemmShape& s) { return "cuda_sgemm/" + s.name(); }

void bm_dense(benchmark::State& state, DenseKind kind, GemmShape s) {
  const auto xh = random_floats(s.M * s.K, 1), wh = random_floats(s.N * s.K, 2);
  DeviceBuffer<float> y(static_cast<size_t>(s.M * s.N));
  double t = 0.0;
  if (kind == DenseKind::Fp16) {
    std::vector<__half> xs(xh.size()), ws(wh.size());
    for (size_t i = 0; i < xh.size(); ++i) xs[i] = __float2half(xh[i]);
    for (size_t i = 0; i < wh.size(); ++i) ws[i] = __float2half(wh[i]);
    auto x = device_copy(xs);
    auto w = device_copy(ws);
    t = gpu_loop(state, [&] { dense_gemm(kind, s, x.get(), w.get(), y.get()); });
  } else {
    auto x = device_copy(xh);
    auto w = device_copy(wh);
    t = gpu_loop(state, [&] { dense_gemm(kind, s, x.get(), w.get(), y.get()); });
  }
  if (kind == DenseKind::Sgemm) record_baseline(sgemm_key(s), t);
  set_counters(state, t, has_baseline(sgemm_key(s)) ? stored_baseline(sgemm_key(s)) : t, s);
}

double sgemm_base(const GemmShape& s) {
  auto x = device_copy(random_floats(s.M * s.K, 1));
  auto w = device_copy(random_floats(s.N * s.K, 2));
  DeviceBuffer<float> y(static_cast<size_t>(s.M * s.N));
  return baseline(sgemm_key(s), [&] {
    dense_gemm(DenseKind::Sgemm, s, x.get(), w.get(), y.get());
    CUDA_CHECK(cudaDeviceSynchronize());
  });
}

enum class SparseOp { Ours, OursBackwardInput, OursBackwardWeight, Cusparse };

// cuSPARSE generic SpMM on the same dequantized 8x8 blocks: Y^T (N x M) = W (BSR, N x K) *
// X^T (K x M), both dense operands column-major views of our row-major arrays.
double cusparse_loop(benchmark::State& state, const GemmShape& s, const kernels::BsrWeights& w,
                     const kernels::cuda::DeviceBsr& dw, float* x, float* y) {
  cusparseHandle_t handle;
  CUSPARSE_CHECK(cusparseCreate(&handle));
  cusparseSpMatDescr_t a;
  CUSPARSE_CHECK(cusparseCreateBsr(&a, w.layout.num_block_rows(), w.layout.num_block_cols(), w.layout.kept_blocks(),
                                   8, 8, dw.block_row_ptr.get(), dw.block_col_idx.get(), dw.values.get(),
                                   CUSPARSE_INDEX_32I, CUSPARSE_INDEX_32I, CUSPARSE_INDEX_BASE_ZERO, CUDA_R_32F,
                                   CUSPARSE_ORDER_ROW));
  cusparseDnMatDescr_t b, c;
  CUSPARSE_CHECK(cusparseCreateDnMat(&b, s.K, s.M, s.K, x, CUDA_R_32F, CUSPARSE_ORDER_COL));
  CUSPARSE_CHECK(cusparseCreateDnMat(&c, s.N, s.M, s.N, y, CUDA_R_32F, CUSPARSE_ORDER_COL));
  const float one = 1.0f, zero = 0.0f;
  size_t bytes = 0;
  CUSPARSE_CHECK(cusparseSpMM_bufferSize(handle, CUSPARSE_OPERATION_NON_TRANSPOSE, CUSPARSE_OPERATION_NON_TRANSPOSE,
                                         &one, a, b, &zero, c, CUDA_R_32F, CUSPARSE_SPMM_ALG_DEFAULT, &bytes));
  DeviceBuffer<uint8_t> work(std::max<size_t>(bytes, 1));
  const double t = gpu_loop(state, [&] {
    CUSPARSE_CHECK(cusparseSpMM(handle, CUSPARSE_OPERATION_NON_TRANSPOSE, CUSPARSE_OPERATION_NON_TRANSPOSE, &one, a, b,
                                &zero, c, CUDA_R_32F, CUSPARSE_SPMM_ALG_DEFAULT, work.get()));
  });
  CUSPARSE_CHECK(cusparseDestroyDnMat(c));
  CUSPARSE_CHECK(cusparseDestroyDnMat(b));
  CUSPARSE_CHECK(cusparseDestroySpMat(a));
  CUSPARSE_CHECK(cusparseDestroy(handle));
  return t;
}

void bm_sparse(benchmark::State& state, SparseOp op, GemmShape s, int ratio, int bits) {
  const double base = sgemm_base(s);
  const kernels::BsrWeights w = random_bsr(s.N, s.K, 8, 8, bits, ratio, 3);
  const kernels::cuda::DeviceBsr dw = kernels::cuda::upload_bsr(w, nullptr);
  auto x = device_copy(random_floats(s.M * s.K, 4));
  auto dy = device_copy(random_floats(s.M * s.N, 5));
  DeviceBuffer<float> out(static_cast<size_t>(std::max(s.M * s.N, s.M * s.K)));
  DeviceBuffer<float> grad(static_cast<size_t>(w.layout.kept_blocks() * w.layout.block_elems()));
  double t = 0.0;
  switch (op) {
    case SparseOp::Ours:
      t = gpu_loop(state, [&] { kernels::cuda::bsgemm_forward(x.get(), s.M, s.K, dw, out.get(), s.N, nullptr); });
      break;
    case SparseOp::OursBackwardInput:
      t = gpu_loop(state, [&] { kernels::cuda::bsgemm_backward_input(dy.get(), s.M, s.N, dw, out.get(), s.K, nullptr); });
      break;
    case SparseOp::OursBackwardWeight:
      t = gpu_loop(state, [&] {
        kernels::cuda::bsgemm_backward_weight(dy.get(), s.M, s.N, x.get(), s.K, dw, grad.get(), nullptr);
      });
      break;
    case SparseOp::Cusparse:
      try {
        t = cusparse_loop(state, s, w, dw, x.get(), out.get());
      } catch (const std::exception& e) {
        state.SkipWithError(e.what());
        return;
      }
      break;
  }
  set_counters(state, t, base, s);
  state.counters["ratio"] = ratio;
  state.counters["bits"] = bits;
}

void bm_binary(benchmark::State& state, GemmShape s) {
  const double base = sgemm_base(s);
  auto a = device_copy(random_floats(s.M * s.K, 6));
  auto b = device_copy(random_floats(s.N * s.K, 7));
  const int64_t words = kernels::sign_words(s.K);
  DeviceBuffer<uint64_t> A(static_cast<size_t>(s.M * words)), B(static_cast<size_t>(s.N * words));
  kernels::cuda::pack_signs(a.get(), s.M, s.K, s.K, A.get(), nullptr);
  kernels::cuda::pack_signs(b.get(), s.N, s.K, s.K, B.get(), nullptr);
  DeviceBuffer<int32_t> c(static_cast<size_t>(s.M * s.N));
  const double t = gpu_loop(state, [&] { kernels::cuda::bgemm_binary(A.get(), s.M, B.get(), s.N, s.K, c.get(), s.N, nullptr); });
  set_counters(state, t, base, s);
}

void configure(benchmark::internal::Benchmark* b) { b->UseManualTime()->Unit(benchmark::kMicrosecond)->MinTime(0.05); }

}  // namespace

void register_cuda_gemm_benchmarks() {
  for (const GemmShape& s : cuda_shapes()) {
    for (DenseKind k : {DenseKind::Sgemm, DenseKind::Tf32, DenseKind::Fp16}) {
      configure(benchmark::RegisterBenchmark(("cuda/cublas_" + std::string(dense_name(k)) + "/" + s.name()).c_str(),
                                             bm_dense, k, s));
    }
    for (int ratio : {2, 4, 8, 16}) {
      const std::string tag = s.name() + "/ratio" + std::to_string(ratio);
      configure(benchmark::RegisterBenchmark(("cuda/cusparse_bsrmm/" + tag + "/blk8x8").c_str(), bm_sparse,
                                             SparseOp::Cusparse, s, ratio, 2));
      for (int bits : {1, 2, 3, 4}) {
        configure(benchmark::RegisterBenchmark(("cuda/bsgemm_fwd/" + tag + "/bits" + std::to_string(bits) + "/blk8x8").c_str(),
                                               bm_sparse, SparseOp::Ours, s, ratio, bits));
      }
      configure(benchmark::RegisterBenchmark(("cuda/bsgemm_bwd_input/" + tag + "/bits2/blk8x8").c_str(), bm_sparse,
                                             SparseOp::OursBackwardInput, s, ratio, 2));
      configure(benchmark::RegisterBenchmark(("cuda/bsgemm_bwd_weight/" + tag + "/bits2/blk8x8").c_str(), bm_sparse,
                                             SparseOp::OursBackwardWeight, s, ratio, 2));
    }
    configure(benchmark::RegisterBenchmark(("cuda/bgemm_binary/" + s.name()).c_str(), bm_binary, s));
  }
}

}  // namespace bitblock::bench
#endif  // BITBLOCK_HAS_CUDA
