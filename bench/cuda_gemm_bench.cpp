// CUDA benchmarks (registered only with a device). Every kernel is timed with CUDA events around
// each call (the mean over the loop), and its counters divide baselines measured in this same
// process, on the same shape:
//   speedup      cuBLAS SGEMM (dense fp32) / ours
//   vs_bf16      cuBLAS BF16 dense (fp32 accumulation) / ours: the forward target
//   vs_fp16      cuBLAS FP16 dense / ours: the binary target
//   vs_cusparse  cuSPARSE BSR SpMM (fp32, the same kept 8x8 blocks) / ours, block-sparse only
// Names: cuda/<product>_<implementation>/M<batch>_K<in>_N<out>[/ratio<r>/bits<b>/blk8x8].
// Implementations: plain (cuda.hpp), tc (the fastest tensor-core candidate of
// cuda_candidates.hpp for the shape, picked first by timing each, as the framework's autotuner
// does; its name is the benchmark's label), tc_m16 / tc_m32 / tc_m64 (each candidate, ratio 8,
// 3 bits), tc_b1 / tc_s8 / tc_bf16 (binary). bench/plot_cuda_speedup.sh plots the JSON output and
// bench/cuda_targets.py checks the targets from it.
#ifdef BITBLOCK_HAS_CUDA
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cusparse.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "bench_common.hpp"
#include "bitblock/kernels/bsr_tiles.hpp"
#include "bitblock/kernels/cublas_check.hpp"
#include "bitblock/kernels/cuda_candidates.hpp"
#include "bitblock/kernels/cusparse_check.hpp"
#include "bitblock/kernels/pack.hpp"

namespace bitblock::bench {
namespace {

namespace kc = kernels::cuda;
using kc::DeviceBuffer;

constexpr int kBlock = 8;
const int kRatios[] = {2, 4, 8, 16};
const int kBits[] = {1, 2, 3, 4, 8};

// The shapes of the first H200 run (../shared/gpu/h200-bench-0fb9ea2.txt): MNIST MLP layers and
// the 4096 square, at batch 100 (MNIST training) and 1000.
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
  DeviceBuffer<T> d(std::max<size_t>(v.size(), 1));
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

// Seconds per call outside a benchmark loop (baselines measured on demand, autotuning).
template <typename Fn>
double gpu_time(Fn&& fn, int calls) {
  fn();
  CUDA_CHECK(cudaDeviceSynchronize());
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  CUDA_CHECK(cudaEventRecord(start));
  for (int i = 0; i < calls; ++i) fn();
  CUDA_CHECK(cudaEventRecord(stop));
  CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0.0f;
  CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  CUDA_CHECK(cudaEventDestroy(start));
  CUDA_CHECK(cudaEventDestroy(stop));
  return ms * 1e-3 / calls;
}

cublasHandle_t cublas() {
  static cublasHandle_t handle = [] {
    cublasHandle_t h;
    CUBLAS_CHECK(cublasCreate(&h));
    return h;
  }();
  return handle;
}

// ---- dense baselines -----------------------------------------------------------------------

enum class Dense { Sgemm, Tf32, Bf16, Fp16 };
const Dense kDense[] = {Dense::Sgemm, Dense::Tf32, Dense::Bf16, Dense::Fp16};
const char* dense_name(Dense k) {
  switch (k) {
    case Dense::Sgemm: return "sgemm";
    case Dense::Tf32: return "tf32";
    case Dense::Bf16: return "bf16";
    default: return "fp16";
  }
}
std::string dense_key(Dense k, const GemmShape& s) { return std::string("cuda_") + dense_name(k) + "/" + s.name(); }

// Row-major Y[M x N] = X[M x K] W^T computed as column-major Y^T = W X^T, fp32 output.
struct DenseGemm {
  Dense kind;
  GemmShape s;
  DeviceBuffer<uint8_t> x, w;
  DeviceBuffer<float> y;

  DenseGemm(Dense k, const GemmShape& shape) : kind(k), s(shape), y(static_cast<size_t>(shape.M * shape.N)) {
    const auto xh = random_floats(s.M * s.K, 1), wh = random_floats(s.N * s.K, 2);
    x = convert(xh);
    w = convert(wh);
  }
  DeviceBuffer<uint8_t> convert(const std::vector<float>& v) const {
    std::vector<uint8_t> bytes;
    auto put = [&bytes](const void* p, size_t n) {
      const auto* b = static_cast<const uint8_t*>(p);
      bytes.insert(bytes.end(), b, b + n);
    };
    for (float f : v) {
      if (kind == Dense::Fp16) {
        const __half h = __float2half(f);
        put(&h, sizeof(h));
      } else if (kind == Dense::Bf16) {
        const __nv_bfloat16 h = __float2bfloat16(f);
        put(&h, sizeof(h));
      } else {
        put(&f, sizeof(f));
      }
    }
    return device_copy(bytes);
  }
  void operator()() const {
    const float one = 1.0f, zero = 0.0f;
    const auto M = static_cast<int>(s.M), N = static_cast<int>(s.N), K = static_cast<int>(s.K);
    const cudaDataType in = kind == Dense::Fp16 ? CUDA_R_16F : kind == Dense::Bf16 ? CUDA_R_16BF : CUDA_R_32F;
    const cublasComputeType_t compute = kind == Dense::Tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
    CUBLAS_CHECK(cublasGemmEx(cublas(), CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &one, w.get(), in, K, x.get(), in, K, &zero,
                              y.get(), CUDA_R_32F, N, compute, CUBLAS_GEMM_DEFAULT));
  }
};

// Google Benchmark calls a benchmark function several times while it sizes the loop: operands
// are made once per process.
const DenseGemm& dense_gemm(Dense k, const GemmShape& s) {
  static std::map<std::string, std::unique_ptr<DenseGemm>> cache;
  auto& slot = cache[dense_key(k, s)];
  if (!slot) slot = std::make_unique<DenseGemm>(k, s);
  return *slot;
}

double dense_baseline(Dense k, const GemmShape& s) {
  const std::string key = dense_key(k, s);
  if (!has_baseline(key)) record_baseline(key, gpu_time(dense_gemm(k, s), 20));
  return stored_baseline(key);
}

void bm_dense(benchmark::State& state, Dense k, GemmShape s) {
  const DenseGemm& gemm = dense_gemm(k, s);
  const double t = gpu_loop(state, gemm);
  record_baseline(dense_key(k, s), t);
  set_counters(state, t, dense_baseline(Dense::Sgemm, s), s);
  state.counters["vs_bf16"] = dense_baseline(Dense::Bf16, s) / t;
  state.counters["vs_fp16"] = dense_baseline(Dense::Fp16, s) / t;
}

// ---- block-sparse --------------------------------------------------------------------------

// Random 8x8-block weights of a shape, ratio and width, built once per process (the 4096 square
// takes a second on the host) and kept on the device in every form (upload_bsr).
struct Weights {
  kernels::BsrWeights host;
  kc::DeviceBsr dev;
};
const Weights& weights(int64_t N, int64_t K, int ratio, int bits) {
  static std::map<std::tuple<int64_t, int64_t, int, int>, std::unique_ptr<Weights>> cache;
  auto& slot = cache[{N, K, ratio, bits}];
  if (!slot) {
    slot = std::make_unique<Weights>();
    slot->host = random_bsr(N, K, kBlock, kBlock, bits, ratio, 3);
    slot->dev = kc::upload_bsr(slot->host, nullptr);
  }
  return *slot;
}

enum class Op { Forward, InputGrad, WeightGrad };
const char* op_name(Op op) { return op == Op::Forward ? "bsgemm_fwd" : op == Op::InputGrad ? "bsgemm_bwd_input" : "bsgemm_bwd_weight"; }

// Operands of the products on one shape (made once per process): X, dY and an output large
// enough for any of the three.
struct Operands {
  DeviceBuffer<float> x, dy, out;
  explicit Operands(const GemmShape& s)
      : x(device_copy(random_floats(s.M * s.K, 4))),
        dy(device_copy(random_floats(s.M * s.N, 5))),
        out(static_cast<size_t>(std::max(s.M * s.N, std::max(s.M * s.K, s.N * s.K)))) {}
};
Operands& operands(const GemmShape& s) {
  static std::map<std::string, std::unique_ptr<Operands>> cache;
  auto& slot = cache[s.name()];
  if (!slot) slot = std::make_unique<Operands>(s);
  return *slot;
}

// Every candidate of a product that supports the shape, as calls on these operands.
std::vector<std::pair<std::string, std::function<void()>>> candidates(Op op, const GemmShape& s, const Weights& w,
                                                                      Operands& o) {
  const kc::BsrProblem p{s.M, s.N, s.K, kBlock, kBlock, w.host.bits};
  std::vector<std::pair<std::string, std::function<void()>>> out;
  if (op == Op::WeightGrad) {
    for (const auto& c : kc::bsgemm_backward_weight_candidates()) {
      if (c.supports(p)) out.emplace_back(c.name, [&, c] { c.launch(o.dy.get(), s.M, s.N, o.x.get(), s.K, w.dev, o.out.get(), nullptr); });
    }
    return out;
  }
  const auto& list = op == Op::Forward ? kc::bsgemm_forward_candidates() : kc::bsgemm_backward_input_candidates();
  for (const auto& c : list) {
    if (!c.supports(p)) continue;
    if (op == Op::Forward) {
      out.emplace_back(c.name, [&, c] { c.launch(o.x.get(), s.M, s.K, w.dev, o.out.get(), s.N, nullptr); });
    } else {
      out.emplace_back(c.name, [&, c] { c.launch(o.dy.get(), s.M, s.N, w.dev, o.out.get(), s.K, nullptr); });
    }
  }
  return out;
}

// cuSPARSE generic SpMM on the same dequantized 8x8 blocks: Y^T (N x M) = W (BSR, N x K) *
// X^T (K x M), both dense operands column-major views of our row-major arrays.
struct CusparseBsr {
  cusparseHandle_t handle{};
  cusparseSpMatDescr_t a{};
  cusparseDnMatDescr_t b{}, c{};
  DeviceBuffer<uint8_t> work;
  CusparseBsr(const GemmShape& s, const Weights& w, float* x, float* y) {
    const kernels::BsrLayout& l = w.host.layout;
    CUSPARSE_CHECK(cusparseCreate(&handle));
    CUSPARSE_CHECK(cusparseCreateBsr(&a, l.num_block_rows(), l.num_block_cols(), l.kept_blocks(), kBlock, kBlock,
                                     w.dev.block_row_ptr.get(), w.dev.block_col_idx.get(), w.dev.values.get(),
                                     CUSPARSE_INDEX_32I, CUSPARSE_INDEX_32I, CUSPARSE_INDEX_BASE_ZERO, CUDA_R_32F,
                                     CUSPARSE_ORDER_ROW));
    CUSPARSE_CHECK(cusparseCreateDnMat(&b, s.K, s.M, s.K, x, CUDA_R_32F, CUSPARSE_ORDER_COL));
    CUSPARSE_CHECK(cusparseCreateDnMat(&c, s.N, s.M, s.N, y, CUDA_R_32F, CUSPARSE_ORDER_COL));
    const float one = 1.0f, zero = 0.0f;
    size_t bytes = 0;
    CUSPARSE_CHECK(cusparseSpMM_bufferSize(handle, CUSPARSE_OPERATION_NON_TRANSPOSE, CUSPARSE_OPERATION_NON_TRANSPOSE,
                                           &one, a, b, &zero, c, CUDA_R_32F, CUSPARSE_SPMM_ALG_DEFAULT, &bytes));
    work = DeviceBuffer<uint8_t>(std::max<size_t>(bytes, 1));
  }
  ~CusparseBsr() {
    cusparseDestroyDnMat(c);
    cusparseDestroyDnMat(b);
    cusparseDestroySpMat(a);
    cusparseDestroy(handle);
  }
  CusparseBsr(const CusparseBsr&) = delete;
  CusparseBsr& operator=(const CusparseBsr&) = delete;
  void operator()() const {
    const float one = 1.0f, zero = 0.0f;
    CUSPARSE_CHECK(cusparseSpMM(handle, CUSPARSE_OPERATION_NON_TRANSPOSE, CUSPARSE_OPERATION_NON_TRANSPOSE, &one, a, b,
                                &zero, c, CUDA_R_32F, CUSPARSE_SPMM_ALG_DEFAULT, work.get()));
  }
};

std::string cusparse_key(const GemmShape& s, int ratio) { return "cuda_cusparse/" + s.name() + "/ratio" + std::to_string(ratio); }

double cusparse_baseline(const GemmShape& s, int ratio) {
  const std::string key = cusparse_key(s, ratio);
  if (!has_baseline(key)) {
    Operands& o = operands(s);
    const CusparseBsr sp(s, weights(s.N, s.K, ratio, 3), o.x.get(), o.out.get());
    record_baseline(key, gpu_time(sp, 10));
  }
  return stored_baseline(key);
}

void sparse_counters(benchmark::State& state, double t, const GemmShape& s, int ratio, int bits) {
  set_counters(state, t, dense_baseline(Dense::Sgemm, s), s);
  state.counters["vs_bf16"] = dense_baseline(Dense::Bf16, s) / t;
  state.counters["vs_cusparse"] = cusparse_baseline(s, ratio) / t;
  state.counters["ratio"] = ratio;
  state.counters["bits"] = bits;
}

void bm_cusparse(benchmark::State& state, GemmShape s, int ratio) {
  Operands& o = operands(s);
  try {
    const CusparseBsr sp(s, weights(s.N, s.K, ratio, 3), o.x.get(), o.out.get());
    const double t = gpu_loop(state, sp);
    record_baseline(cusparse_key(s, ratio), t);
    sparse_counters(state, t, s, ratio, 3);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

// impl: "plain", a candidate name, or "tc" = the fastest tensor-core candidate (timed first).
void bm_sparse(benchmark::State& state, Op op, GemmShape s, int ratio, int bits, std::string impl) {
  const Weights& w = weights(s.N, s.K, ratio, bits);
  Operands& o = operands(s);
  auto cands = candidates(op, s, w, o);
  std::function<void()> run;
  std::string chosen;
  double best = 0.0;
  for (auto& [name, fn] : cands) {
    const bool wanted = impl == "tc" ? name.rfind("tc", 0) == 0 : name == impl;
    if (!wanted) continue;
    const double t = impl == "tc" ? gpu_time(fn, 5) : 0.0;
    if (!run || t < best) {
      run = fn;
      chosen = name;
      best = t;
    }
  }
  if (!run) {
    state.SkipWithError((impl + " does not support this shape").c_str());
    return;
  }
  state.SetLabel(chosen);
  const double t = gpu_loop(state, run);
  sparse_counters(state, t, s, ratio, bits);
}

// ---- binary --------------------------------------------------------------------------------

void bm_binary(benchmark::State& state, GemmShape s, std::string impl, bool float_x) {
  auto a = device_copy(random_floats(s.M * s.K, 6));
  auto b = device_copy(random_floats(s.N * s.K, 7));
  auto scales = device_copy(std::vector<float>(static_cast<size_t>(s.N), 0.05f));
  const int64_t words = kernels::sign_words(s.K);
  DeviceBuffer<uint64_t> A(static_cast<size_t>(s.M * words)), B(static_cast<size_t>(s.N * words));
  kc::pack_signs(a.get(), s.M, s.K, s.K, A.get(), nullptr);
  kc::pack_signs(b.get(), s.N, s.K, s.K, B.get(), nullptr);
  DeviceBuffer<int32_t> c(static_cast<size_t>(s.M * s.N));
  DeviceBuffer<float> y(static_cast<size_t>(s.M * s.N));
  std::function<void()> run;
  if (float_x) {
    for (const auto& cand : kc::bgemm_float_binary_candidates()) {
      if (impl == cand.name) run = [&, cand] { cand.launch(a.get(), s.M, s.K, B.get(), s.N, s.K, scales.get(), y.get(), s.N, nullptr); };
    }
  } else {
    for (const auto& cand : kc::bgemm_binary_candidates()) {
      if (impl == cand.name) run = [&, cand] { cand.launch(A.get(), s.M, B.get(), s.N, s.K, c.get(), s.N, nullptr); };
    }
  }
  const double t = gpu_loop(state, run);
  set_counters(state, t, dense_baseline(Dense::Sgemm, s), s);
  state.counters["vs_fp16"] = dense_baseline(Dense::Fp16, s) / t;
  state.counters["vs_bf16"] = dense_baseline(Dense::Bf16, s) / t;
}

// 20 ms of kernel time each: thousands of calls of the small products, while the whole suite
// (about 450 benchmarks) stays within run_device.sh's few minutes.
void configure(benchmark::internal::Benchmark* b) { b->UseManualTime()->Unit(benchmark::kMicrosecond)->MinTime(0.02); }

template <typename... Args>
void add(const std::string& name, Args&&... args) {
  configure(benchmark::RegisterBenchmark(name.c_str(), std::forward<Args>(args)...));
}

}  // namespace

void register_cuda_gemm_benchmarks() {
  for (const GemmShape& s : cuda_shapes()) {
    for (Dense k : kDense) add("cuda/cublas_" + std::string(dense_name(k)) + "/" + s.name(), bm_dense, k, s);
    for (int ratio : kRatios) {
      const std::string tag = s.name() + "/ratio" + std::to_string(ratio);
      add("cuda/cusparse_bsrmm/" + tag + "/bits3/blk8x8", bm_cusparse, s, ratio);
      for (Op op : {Op::Forward, Op::InputGrad, Op::WeightGrad}) {
        add("cuda/" + std::string(op_name(op)) + "_plain/" + tag + "/bits3/blk8x8", bm_sparse, op, s, ratio, 3,
            std::string("plain"));
        // The weight gradient reads no codes: one width is enough.
        for (int bits : kBits) {
          if (op == Op::WeightGrad && bits != 3) continue;
          add("cuda/" + std::string(op_name(op)) + "_tc/" + tag + "/bits" + std::to_string(bits) + "/blk8x8", bm_sparse,
              op, s, ratio, bits, std::string("tc"));
        }
        if (ratio == 8 && op != Op::WeightGrad) {
          for (const char* c : {"tc_m16", "tc_m32", "tc_m64"}) {
            add("cuda/" + std::string(op_name(op)) + "_" + c + "/" + tag + "/bits3/blk8x8", bm_sparse, op, s, ratio, 3,
                std::string(c));
          }
        }
      }
    }
    for (const char* impl : {"plain", "tc_b1", "tc_s8"}) {
      add("cuda/bgemm_binary_" + std::string(impl) + "/" + s.name(), bm_binary, s, std::string(impl), false);
    }
    for (const char* impl : {"plain", "tc_bf16"}) {
      add("cuda/bgemm_float_binary_" + std::string(impl) + "/" + s.name(), bm_binary, s, std::string(impl), true);
    }
  }
}

}  // namespace bitblock::bench
#endif  // BITBLOCK_HAS_CUDA
