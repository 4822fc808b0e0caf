// The compact path's kept units on the GPU: the layout's index, codes and effective values in
// device memory (kernels::cuda::DeviceBsr; the tensor-core code tiles too, where the blocks allow),
// and for each product the fastest verified implementation among
//   the bsgemm CUDA kernels of kernels/cuda_candidates.hpp ("plain" for blocks up to 256, and the
//     tensor-core versions "tc_*" for blocks that are multiples of 8 with k-bit or binary codes),
//   cusparse  cuSPARSE BSR SpMM / SDDMM (square blocks, no ragged edge),
//   dense     cuBLAS SGEMM on the dense masked W_eff (any unit: the library baseline),
// chosen per batch size the first time that size runs (never inside a captured step: the first
// step of each size runs directly): every candidate runs on the layer's own operands, its result
// is checked against the dense one (within the tensor-core kernels' bf16 bound), and the fastest
// of five timed runs wins. BITBLOCK_GPU_KERNELS=<name> pins the choice (where that implementation
// passes), so runs with the same seed give the same bits; the automatic choice is logged.
#include "backend/cuda_kept_weights.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bitblock/common/error.hpp"
#include "bitblock/common/rng.hpp"
#include "bitblock/kernels/cuda.hpp"
#include "bitblock/kernels/cuda_candidates.hpp"
#include "bitblock/kernels/cuda_tc.hpp"
#include "bitblock/kernels/cusparse_bsr.hpp"
#include "bitblock/kernels/device_memory.hpp"
#include "bitblock/kernels/gemm.hpp"

namespace bitblock::backend {
namespace {

namespace k = kernels;
namespace kc = kernels::cuda;

enum Product { kForward = 0, kInput = 1, kWeight = 2 };
const char* product_name(int p) { return p == kForward ? "forward" : p == kInput ? "input grad" : "weight grad"; }

int64_t rows_of(const Tensor& t, int64_t per_row) { return per_row > 0 ? t.numel() / per_row : 0; }

// One implementation of one product: out = product(x, dy) for batch size M.
struct Runner {
  std::string name;
  bool tensor_cores = false;  // bf16 operands: checked within their bound
  std::function<void(int64_t M, const float* x, const float* dy, float* out)> run;
};

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

// A pinned name must be one some product could run (a typo would otherwise fall back to the
// automatic choice without a word).
std::string checked_pin(const std::string& name) {
  std::set<std::string> known = {"cusparse", "dense"};
  auto add = [&](const auto& list) {
    for (const auto& c : list) known.insert(c.name);
  };
  add(kc::bsgemm_forward_candidates());
  add(kc::bsgemm_backward_input_candidates());
  add(kc::bsgemm_backward_weight_candidates());
  if (known.count(name)) return name;
  std::string list;
  for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
  fail_input("BITBLOCK_GPU_KERNELS", "'" + name + "' is none of the implementations (" + list + ")");
}

class CudaKeptWeights final : public KeptWeights {
 public:
  CudaKeptWeights(const k::BsrLayout& layout, KeptUnit unit, int bits, std::string layer, cudaStream_t stream)
      : KeptWeights(layout, unit), layer_(std::move(layer)), bits_(bits), w_(kc::device_bsr_for_layout(layout, bits)),
        stream_(stream) {
    if (const char* env = std::getenv("BITBLOCK_GPU_KERNELS")) pinned_ = checked_pin(env);
    const k::BsrLayout& l = this->layout();
    try {
      cusparse_ = std::make_unique<kc::CusparseBsr>(w_);
    } catch (const std::exception& e) {
      notes_ += std::string(" (cusparse: ") + e.what() + ")";
    }
    dense_w_ = kc::DeviceBuffer<float>(static_cast<size_t>(l.rows * l.cols));
    CUDA_CHECK(cudaMemsetAsync(dense_w_.get(), 0, dense_w_.size() * sizeof(float), stream_));
    if (w_.has_tiles()) row_scales_ = kc::DeviceBuffer<float>(static_cast<size_t>(l.rows));
  }

  k::BlockLayoutView view() const override {
    k::BlockLayoutView v = k::view_of(layout());
    v.block_row_ptr = w_.block_row_ptr.get();
    v.block_col_idx = w_.block_col_idx.get();
    v.block_row_of = w_.block_row_of.get();
    return v;
  }

  void set_values(const Tensor& effective, const Tensor& latent, const Tensor& scales) override {
    const k::BsrLayout& l = layout();
    if (w_.has_tiles()) {
      // The tensor-core kernels read codes: quantize the latent kept blocks on the device (values,
      // codes and tiles; the values equal `effective` bit for bit, kbit.hpp's quantizer).
      const float* per_row = scales.data();
      if (scales.numel() == 1) {
        kc::broadcast_scale(scales.data(), l.rows, row_scales_.get(), stream_);
        per_row = row_scales_.get();
      }
      kc::quantize_blocks(latent.data(), per_row, w_, stream_);
    } else {
      kc::copy_on_device(w_.values.get(), effective.data(), static_cast<size_t>(effective.numel()) * sizeof(float),
                         stream_);
    }
    // The dense candidate's W_eff: kept positions rewritten, dropped ones stay 0.
    kc::bsr_write_blocks(w_, w_.values.get(), dense_w_.get(), stream_);
  }

  void forward(const Tensor& x, Tensor& y) override {
    const int64_t M = rows_of(x, layout().cols);
    runner(M, kForward, x.data()).run(M, x.data(), nullptr, y.data());
  }
  void backward_weight(const Tensor& dy, const Tensor& x, Tensor& dw) override {
    const int64_t M = rows_of(dy, layout().rows);
    runner(M, kWeight, x.data()).run(M, x.data(), dy.data(), dw.data());
  }
  void backward_input(const Tensor& dy, Tensor& dx) override {
    const int64_t M = rows_of(dy, layout().rows);
    runner(M, kInput, nullptr).run(M, nullptr, dy.data(), dx.data());
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
    if (choices_.empty()) return "CUDA, chosen at the first step of each batch size" + notes_;
    std::string out;
    for (const auto& [M, c] : choices_) out += (out.empty() ? "" : "; ") + ("batch " + std::to_string(M) + ": " + c.log);
    return out + notes_;
  }

 private:
  struct Choice {
    std::vector<Runner> runners[3];
    size_t pick[3] = {0, 0, 0};
    std::string log;
  };

  // x: the forward's input (the first forward of a batch size tunes on it).
  const Runner& runner(int64_t M, int product, const float* x) {
    auto it = choices_.find(M);
    if (it == choices_.end()) it = choices_.emplace(M, tune(M, x)).first;
    return it->second.runners[product][it->second.pick[product]];
  }

  // Every implementation of each product that supports batch size M, the dense one last.
  void candidates(int64_t M, Choice& c) {
    const k::BsrLayout& l = layout();
    const kc::BsrProblem problem{M, l.rows, l.cols, l.block_rows, l.block_cols, bits_ == 32 ? 8 : bits_};
    const int64_t rows = l.rows, cols = l.cols;
    const kc::DeviceBsr& w = w_;
    cudaStream_t s = stream_;
    // The first entry of each list is the plain kernel (values); the others need code tiles.
    auto usable = [&](size_t index, auto supports) { return supports(problem) && (index == 0 || w_.has_tiles()); };
    const auto& fwd = kc::bsgemm_forward_candidates();
    for (size_t i = 0; i < fwd.size(); ++i)
      if (usable(i, fwd[i].supports)) {
        const auto launch = fwd[i].launch;
        c.runners[kForward].push_back({fwd[i].name, i > 0, [=, &w](int64_t m, const float* x, const float*, float* out) {
                                         launch(x, m, cols, w, out, rows, s);
                                       }});
      }
    const auto& in = kc::bsgemm_backward_input_candidates();
    for (size_t i = 0; i < in.size(); ++i)
      if (usable(i, in[i].supports)) {
        const auto launch = in[i].launch;
        c.runners[kInput].push_back({in[i].name, i > 0, [=, &w](int64_t m, const float*, const float* dy, float* out) {
                                       launch(dy, m, rows, w, out, cols, s);
                                     }});
      }
    const auto& wg = kc::bsgemm_backward_weight_candidates();
    for (size_t i = 0; i < wg.size(); ++i)
      if (usable(i, wg[i].supports)) {
        const auto launch = wg[i].launch;
        c.runners[kWeight].push_back({wg[i].name, i > 0, [=, &w](int64_t m, const float* x, const float* dy, float* out) {
                                        launch(dy, m, rows, x, cols, w, out, s);
                                      }});
      }
    if (cusparse_) {
      kc::CusparseBsr* sp = cusparse_.get();
      c.runners[kForward].push_back({"cusparse", false, [=](int64_t m, const float* x, const float*, float* out) {
                                       sp->forward(x, m, out, s);
                                     }});
      c.runners[kInput].push_back({"cusparse", false, [=](int64_t m, const float*, const float* dy, float* out) {
                                     sp->backward_input(dy, m, out, s);
                                   }});
      c.runners[kWeight].push_back({"cusparse", false, [=](int64_t m, const float* x, const float* dy, float* out) {
                                      sp->backward_weight(dy, m, x, out, s);
                                    }});
    }
    float* dense_w = dense_w_.get();
    c.runners[kForward].push_back({"dense", false, [=](int64_t m, const float* x, const float*, float* out) {
                                     kc::gemm(false, true, m, rows, cols, 1.0f, x, cols, dense_w, cols, 0.0f, out, rows, s);
                                   }});
    c.runners[kInput].push_back({"dense", false, [=](int64_t m, const float*, const float* dy, float* out) {
                                   kc::gemm(false, false, m, cols, rows, 1.0f, dy, rows, dense_w, cols, 0.0f, out, cols, s);
                                 }});
    if (dense_g_.size() == 0) dense_g_ = kc::DeviceBuffer<float>(static_cast<size_t>(rows * cols));
    float* dense_g = dense_g_.get();
    c.runners[kWeight].push_back({"dense", false, [=, &w](int64_t m, const float* x, const float* dy, float* out) {
                                    kc::gemm(true, false, rows, cols, m, 1.0f, dy, rows, x, cols, 0.0f, dense_g, cols, s);
                                    kc::bsr_gather_blocks(w, dense_g, out, s);
                                  }});
  }

  // Times every candidate of each product on operands of batch size M and keeps the fastest one
  // whose result matches the dense implementation's (the last runner of each list).
  Choice tune(int64_t M, const float* x_in) {
    const k::BsrLayout& l = layout();
    Choice c;
    candidates(M, c);
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
    const int64_t depth[3] = {l.cols, l.rows, M};  // terms per output, for the fp32 tolerance
    char buf[96];
    for (int product : {kForward, kInput, kWeight}) {
      std::vector<Runner>& runners = c.runners[product];
      kc::DeviceBuffer<float> ref_out(static_cast<size_t>(std::max<int64_t>(out_size[product], 1)));
      kc::DeviceBuffer<float> out(ref_out.size());
      runners.back().run(M, x, dy.get(), ref_out.get());
      const std::vector<float> ref = download(ref_out.get(), static_cast<size_t>(out_size[product]), stream_);
      double scale = 1.0;
      for (float v : ref) scale = std::max(scale, double(std::fabs(v)));
      std::string line = std::string(product_name(product)) + ":";
      double best = 1e30;
      c.pick[product] = runners.size() - 1;
      for (size_t i = 0; i < runners.size(); ++i) {
        const Runner& r = runners[i];
        try {
          if (i + 1 < runners.size()) {  // the dense reference needs no check
            r.run(M, x, dy.get(), out.get());
            const std::vector<float> got = download(out.get(), ref.size(), stream_);
            double err = 0.0;
            for (size_t e = 0; e < got.size(); ++e) err = std::max(err, double(std::fabs(got[e] - ref[e])));
            // fp32 sums in another order; bf16 operands: 2^-7 of sum |terms| (cuda_tc.hpp), bounded
            // here by depth * max |term| ~ sqrt(depth) * scale for the random operands.
            const double tol = (r.tensor_cores ? 1e-2 : 1e-5) * std::sqrt(double(depth[product]) + 1.0) * scale;
            if (!(err <= tol)) {
              std::snprintf(buf, sizeof buf, " %s wrong (%.3g)", r.name.c_str(), err);
              line += buf;
              continue;
            }
          }
          const double t = time_on(stream_, [&] { r.run(M, x, dy.get(), out.get()); });
          std::snprintf(buf, sizeof buf, " %s %.1f us", r.name.c_str(), t * 1e6);
          line += buf;
          if (pinned_.empty() ? t < best : r.name == pinned_) {
            best = t;
            c.pick[product] = i;
          }
        } catch (const std::exception&) {
          cudaGetLastError();
          line += " " + r.name + " failed";
        }
      }
      c.log += (c.log.empty() ? "" : ", ") + line + " -> " + runners[c.pick[product]].name;
    }
    kc::synchronize(stream_);
    return c;
  }

  std::string layer_;
  int bits_;
  kc::DeviceBsr w_;
  cudaStream_t stream_;
  std::string pinned_;
  std::unique_ptr<kc::CusparseBsr> cusparse_;
  kc::DeviceBuffer<float> dense_w_, dense_g_;  // dense masked W_eff, dense dW scratch
  kc::DeviceBuffer<float> row_scales_;         // per-layer scale repeated per row (quantize_blocks)
  std::map<int64_t, Choice> choices_;           // per batch size
  std::string notes_;
};

}  // namespace

std::unique_ptr<KeptWeights> make_cuda_kept_weights(const k::BsrLayout& layout, KeptUnit unit, int bits,
                                                    const std::string& name, cudaStream_t stream) {
  return std::make_unique<CudaKeptWeights>(layout, unit, bits, name, stream);
}

}  // namespace bitblock::backend
