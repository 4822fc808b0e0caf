// The compact path's kept units on the GPU: the layout's index and the kept units' effective
// values in device memory (kernels::cuda::DeviceBsr), and for each product the fastest verified
// implementation among
//   custom   the bsgemm CUDA kernels (blocks up to 256 x 256),
//   cusparse cuSPARSE BSR SpMM / SDDMM (square blocks, no ragged edge),
//   dense    cuBLAS SGEMM on the dense masked W_eff (any unit: the library baseline),
// chosen per batch size the first time that size runs (never inside a captured step: the first
// step of each size runs directly): every candidate runs on the layer's own operands, its result
// is checked against the dense one, and the fastest of five timed runs wins. BITBLOCK_GPU_KERNELS
// = custom | cusparse | dense pins the choice (where that implementation passes), so runs with the
// same seed give the same bits; the automatic choice is logged.
#include "backend/cuda_kept_weights.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "bitblock/common/rng.hpp"
#include "bitblock/kernels/cuda.hpp"
#include "bitblock/kernels/cusparse_bsr.hpp"
#include "bitblock/kernels/device_memory.hpp"
#include "bitblock/kernels/gemm.hpp"

namespace bitblock::backend {
namespace {

namespace k = kernels;
namespace kc = kernels::cuda;

enum class Impl { Custom, Cusparse, Dense };
const char* name(Impl i) { return i == Impl::Custom ? "custom" : i == Impl::Cusparse ? "cusparse" : "dense"; }
enum Product { kForward = 0, kInput = 1, kWeight = 2 };
const char* name(int product) { return product == kForward ? "forward" : product == kInput ? "input grad" : "weight grad"; }

int64_t rows_of(const Tensor& t, int64_t per_row) { return per_row > 0 ? t.numel() / per_row : 0; }

std::optional<Impl> pinned_impl() {
  const char* env = std::getenv("BITBLOCK_GPU_KERNELS");
  if (!env) return std::nullopt;
  if (!std::strcmp(env, "custom")) return Impl::Custom;
  if (!std::strcmp(env, "cusparse")) return Impl::Cusparse;
  if (!std::strcmp(env, "dense")) return Impl::Dense;
  return std::nullopt;
}

// Seconds per call of fn on stream: the best of `reps` event-timed runs after one warm-up.
double time_on(cudaStream_t stream, const std::function<void()>& fn, int reps = 5) {
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  fn();
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    CUDA_CHECK(cudaEventRecord(start, stream));
    fn();
    CUDA_CHECK(cudaEventRecord(stop, stream));
    CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0.0f;
    CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    best = std::min(best, double(ms) * 1e-3);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return best;
}

std::vector<float> download(const float* p, size_t n, cudaStream_t stream) {
  std::vector<float> v(n);
  kc::download(v.data(), p, n * sizeof(float), stream);
  return v;
}

class CudaKeptWeights final : public KeptWeights {
 public:
  CudaKeptWeights(const k::BsrLayout& layout, KeptUnit unit, std::string layer, cudaStream_t stream)
      : KeptWeights(layout, unit), layer_(std::move(layer)), w_(kc::device_bsr_for_layout(layout)),
        stream_(stream), pinned_(pinned_impl()) {
    const k::BsrLayout& l = this->layout();
    if (l.block_rows <= 256 && l.block_cols <= 256) candidates_.push_back(Impl::Custom);
    try {
      cusparse_ = std::make_unique<kc::CusparseBsr>(w_);
      candidates_.push_back(Impl::Cusparse);
    } catch (const std::exception& e) {
      notes_ += std::string(" (cusparse: ") + e.what() + ")";
    }
    candidates_.push_back(Impl::Dense);
    dense_w_ = kc::DeviceBuffer<float>(static_cast<size_t>(l.rows * l.cols));
    CUDA_CHECK(cudaMemsetAsync(dense_w_.get(), 0, dense_w_.size() * sizeof(float), stream_));
  }

  k::BlockLayoutView view() const override {
    k::BlockLayoutView v = k::view_of(layout());
    v.block_row_ptr = w_.block_row_ptr.get();
    v.block_col_idx = w_.block_col_idx.get();
    v.block_row_of = w_.block_row_of.get();
    return v;
  }

  void set_values(const Tensor& blocks) override {
    kc::copy_on_device(w_.values.get(), blocks.data(), static_cast<size_t>(blocks.numel()) * sizeof(float), stream_);
    // The dense candidate's W_eff: kept positions rewritten, dropped ones stay 0.
    kc::bsr_write_blocks(w_, w_.values.get(), dense_w_.get(), stream_);
  }

  void forward(const Tensor& x, Tensor& y) override {
    const int64_t M = rows_of(x, layout().cols);
    run(choice(M, x.data()).impl[kForward], kForward, M, x.data(), nullptr, y.data());
  }
  void backward_weight(const Tensor& dy, const Tensor& x, Tensor& dw) override {
    const int64_t M = rows_of(dy, layout().rows);
    run(choice(M, x.data()).impl[kWeight], kWeight, M, x.data(), dy.data(), dw.data());
  }
  void backward_input(const Tensor& dy, Tensor& dx) override {
    const int64_t M = rows_of(dy, layout().rows);
    run(choice(M, nullptr).impl[kInput], kInput, M, nullptr, dy.data(), dx.data());
  }

  void gather(const Tensor& dense, Tensor& blocks) const override {
    kc::bsr_gather_blocks(w_, dense.data(), blocks.data(), stream_);
  }
  void write(const Tensor& blocks, Tensor& dense) const override {
    kc::bsr_write_blocks(w_, blocks.data(), dense.data(), stream_);
  }
  void scatter(const Tensor& blocks, Tensor& dense) const override {
    kc::bsr_scatter_blocks(w_, blocks.data(), dense.data(), stream_);
  }

  std::string kernels() const override {
    if (choices_.empty()) return "CUDA, chosen at the first step among custom, cusparse, dense" + notes_;
    std::string out;
    for (const auto& [M, c] : choices_) out += (out.empty() ? "" : "; ") + ("batch " + std::to_string(M) + ": " + c.log);
    return out + notes_;
  }

 private:
  struct Choice {
    Impl impl[3] = {Impl::Dense, Impl::Dense, Impl::Dense};
    std::string log;
  };

  // x: the forward's input when known (the first forward of a batch size tunes on it).
  const Choice& choice(int64_t M, const float* x) {
    auto it = choices_.find(M);
    if (it != choices_.end()) return it->second;
    return choices_.emplace(M, tune(M, x)).first->second;
  }

  void run(Impl impl, int product, int64_t M, const float* x, const float* dy, float* out) {
    const k::BsrLayout& l = layout();
    switch (impl) {
      case Impl::Custom:
        if (product == kForward) kc::bsgemm_forward(x, M, l.cols, w_, out, l.rows, stream_);
        else if (product == kInput) kc::bsgemm_backward_input(dy, M, l.rows, w_, out, l.cols, stream_);
        else kc::bsgemm_backward_weight(dy, M, l.rows, x, l.cols, w_, out, stream_);
        return;
      case Impl::Cusparse:
        if (product == kForward) cusparse_->forward(x, M, out, stream_);
        else if (product == kInput) cusparse_->backward_input(dy, M, out, stream_);
        else cusparse_->backward_weight(dy, M, x, out, stream_);
        return;
      case Impl::Dense:
        if (product == kForward) {
          kc::gemm(false, true, M, l.rows, l.cols, 1.0f, x, l.cols, dense_w_.get(), l.cols, 0.0f, out, l.rows, stream_);
        } else if (product == kInput) {
          kc::gemm(false, false, M, l.cols, l.rows, 1.0f, dy, l.rows, dense_w_.get(), l.cols, 0.0f, out, l.cols, stream_);
        } else {
          if (dense_g_.size() == 0) dense_g_ = kc::DeviceBuffer<float>(static_cast<size_t>(l.rows * l.cols));
          kc::gemm(true, false, l.rows, l.cols, M, 1.0f, dy, l.rows, x, l.cols, 0.0f, dense_g_.get(), l.cols, stream_);
          kc::bsr_gather_blocks(w_, dense_g_.get(), out, stream_);
        }
        return;
    }
  }

  // Times every candidate of each product on operands of batch size M and keeps the fastest one
  // whose result matches the dense implementation's.
  Choice tune(int64_t M, const float* x_in) {
    const k::BsrLayout& l = layout();
    Rng rng(0x7a11 + static_cast<uint64_t>(M));
    auto random_buffer = [&](int64_t n) {
      std::vector<float> h(static_cast<size_t>(n));
      for (float& v : h) v = rng.uniform(-1.0f, 1.0f);
      kc::DeviceBuffer<float> d(static_cast<size_t>(std::max<int64_t>(n, 1)));
      kc::upload(d.get(), h.data(), h.size() * sizeof(float), stream_);
      return d;
    };
    kc::DeviceBuffer<float> x_rand = random_buffer(M * l.cols), dy = random_buffer(M * l.rows);
    const float* x = x_in ? x_in : x_rand.get();
    const int64_t out_size[3] = {M * l.rows, M * l.cols, l.kept_blocks() * l.block_elems()};
    const int64_t depth[3] = {l.cols, l.rows, M};  // terms per output, for the tolerance
    Choice c;
    char buf[96];
    for (int product : {kForward, kInput, kWeight}) {
      kc::DeviceBuffer<float> ref_out(static_cast<size_t>(std::max<int64_t>(out_size[product], 1)));
      kc::DeviceBuffer<float> out(ref_out.size());
      run(Impl::Dense, product, M, x, dy.get(), ref_out.get());
      const std::vector<float> ref = download(ref_out.get(), static_cast<size_t>(out_size[product]), stream_);
      double scale = 1.0;
      for (float v : ref) scale = std::max(scale, double(std::fabs(v)));
      const double tol = 1e-5 * std::sqrt(double(depth[product]) + 1.0) * scale;
      std::string line = std::string(name(product)) + ":";
      double best = 1e30;
      for (Impl impl : candidates_) {
        try {
          if (impl != Impl::Dense) {
            run(impl, product, M, x, dy.get(), out.get());
            const std::vector<float> got = download(out.get(), ref.size(), stream_);
            double err = 0.0;
            for (size_t i = 0; i < got.size(); ++i) err = std::max(err, double(std::fabs(got[i] - ref[i])));
            if (!(err <= tol)) {
              line += std::string(" ") + name(impl) + " wrong (" + std::to_string(err) + ")";
              continue;
            }
          }
          const double t = time_on(stream_, [&] { run(impl, product, M, x, dy.get(), out.get()); });
          std::snprintf(buf, sizeof buf, " %s %.1f us", name(impl), t * 1e6);
          line += buf;
          if (pinned_ ? impl == *pinned_ : t < best) {  // pinned but failing: the dense reference stays
            best = t;
            c.impl[product] = impl;
          }
        } catch (const std::exception& e) {
          cudaGetLastError();
          line += std::string(" ") + name(impl) + " failed";
        }
      }
      c.log += (c.log.empty() ? "" : ", ") + line + " -> " + name(c.impl[product]);
    }
    kc::synchronize(stream_);
    return c;
  }

  std::string layer_;
  kc::DeviceBsr w_;
  cudaStream_t stream_;
  std::optional<Impl> pinned_;
  std::vector<Impl> candidates_;
  std::unique_ptr<kc::CusparseBsr> cusparse_;
  kc::DeviceBuffer<float> dense_w_, dense_g_;  // dense masked W_eff, dense dW scratch
  std::map<int64_t, Choice> choices_;           // per batch size
  std::string notes_;
};

}  // namespace

std::unique_ptr<KeptWeights> make_cuda_kept_weights(const k::BsrLayout& layout, KeptUnit unit, const std::string& name,
                                                    cudaStream_t stream) {
  return std::make_unique<CudaKeptWeights>(layout, unit, name, stream);
}

}  // namespace bitblock::backend
