// The kept path's kept units on the GPU: the layout's index, codes and effective values in
// device memory (kernels::cuda::DeviceBsr; the tensor-core code tiles too, where the blocks allow),
// and for each product the fastest verified implementation among
//   the bsgemm CUDA kernels of kernels/cuda_candidates.hpp ("plain" for blocks up to 256, and the
//     tensor-core versions "tc_*" for blocks that are multiples of 8 with k-bit or binary codes),
//   cusparse  cuSPARSE BSR SpMM / SDDMM (square blocks, no ragged edge),
//   dense     cuBLAS SGEMM on the dense masked W_eff (any unit: the library baseline),
// chosen per batch size the first time that size runs (never inside a captured step: the first
// step of each size runs directly): every candidate runs on the layer's own operands, its result
// is checked element by element against the dense one (kernels/cuda_choice.hpp: within
// rel * sum |a w| per output, rel from the candidate's operand rounding), and the fastest of five
// timed runs wins. BITBLOCK_GPU_KERNELS=<name> pins the choice (where that implementation
// passes), so runs with the same seed give the same bits; the choice and every candidate's
// measured error (as a fraction of its bound) are logged.
#include "backend/cuda_kept_weights.hpp"

#include <algorithm>
#include <cmath>
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
#include "bitblock/kernels/cuda_choice.hpp"
#include "bitblock/kernels/cuda_tc.hpp"
#include "bitblock/kernels/cusparse_bsr.hpp"
#include "bitblock/kernels/device_memory.hpp"
#include "bitblock/kernels/gemm.hpp"
#include "bitblock/kernels/result_check.hpp"

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

// |v| of n device floats, in a new device buffer (operands of the acceptance check's magnitudes;
// a host round trip, once per batch size).
kc::DeviceBuffer<float> absolute(const float* p, int64_t n, cudaStream_t stream) {
  std::vector<float> v(static_cast<size_t>(n));
  kc::download(v.data(), p, v.size() * sizeof(float), stream);
  for (float& e : v) e = std::fabs(e);
  kc::DeviceBuffer<float> d(std::max<size_t>(v.size(), 1));
  kc::upload(d.get(), v.data(), v.size() * sizeof(float), stream);
  kc::synchronize(stream);  // v goes out of scope
  return d;
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
  CudaKeptWeights(const k::BsrLayout& layout, KeptUnit unit, int bits, std::string layer, const ExecContextPtr& ctx)
      : KeptWeights(layout, unit), ctx_(ctx), layer_(std::move(layer)), bits_(bits),
        w_(kc::device_bsr_for_layout(layout, bits)), stream_(ctx->stream()) {
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
  // The candidates overwrite their output: groups are gated one by one (WeightMatrix::backward).
  bool backward_weight_add(const Tensor&, const Tensor&, Tensor&) override { return false; }
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
    if (dense_g_.size() == 0) dense_g_ = kc::DeviceBuffer<float>(static_cast<size_t>(l.rows * l.cols));
    const float* dense_w = dense_w_.get();
    for (int p : {kForward, kInput, kWeight}) {
      c.runners[p].push_back({"dense", false, [this, p, dense_w](int64_t m, const float* x, const float* dy, float* out) {
                                dense(p, m, x, dy, dense_w, out);
                              }});
    }
  }

  // The dense product on the masked matrix w (rows x cols): the reference of the checks, and on
  // absolute values the magnitudes sum |a w| of their bounds.
  void dense(int product, int64_t m, const float* x, const float* dy, const float* w, float* out) {
    const int64_t rows = layout().rows, cols = layout().cols;
    if (product == kForward) {
      kc::gemm(false, true, m, rows, cols, 1.0f, x, cols, w, cols, 0.0f, out, rows, stream_);
    } else if (product == kInput) {
      kc::gemm(false, false, m, cols, rows, 1.0f, dy, rows, w, cols, 0.0f, out, cols, stream_);
    } else {
      kc::gemm(true, false, rows, cols, m, 1.0f, dy, rows, x, cols, 0.0f, dense_g_.get(), cols, stream_);
      kc::bsr_gather_blocks(w_, dense_g_.get(), out, stream_);
    }
  }

  // Times every candidate of each product on operands of batch size M and keeps the fastest one
  // whose result matches the dense implementation's (the last runner of each list) within its
  // bound (kernels/cuda_choice.hpp).
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
    kc::DeviceBuffer<float> abs_x = absolute(x, M * l.cols, stream_), abs_dy = absolute(dy.get(), M * l.rows, stream_);
    kc::DeviceBuffer<float> abs_w = absolute(dense_w_.get(), l.rows * l.cols, stream_);
    const int64_t out_size[3] = {M * l.rows, M * l.cols, l.kept_blocks() * l.block_elems()};
    const int64_t depth[3] = {l.cols, l.rows, M};  // terms per output
    // Tensor-core candidates round A (forward: X; input gradient: dY times the row scales) to
    // bf16, and both X and dY in the weight gradient; the codes are exact in bf16.
    const double tc_rounding[3] = {k::kBf16Rounding, k::kBf16Rounding, 2 * k::kBf16Rounding};
    for (int product : {kForward, kInput, kWeight}) {
      const size_t n = static_cast<size_t>(out_size[product]);
      kc::DeviceBuffer<float> magnitude(std::max<size_t>(n, 1));
      dense(product, M, abs_x.get(), abs_dy.get(), abs_w.get(), magnitude.get());
      std::vector<kc::ProductCandidate> list;
      for (const Runner& r : c.runners[product]) {
        list.push_back({r.name, r.tensor_cores ? tc_rounding[product] : 0.0,
                        [&r, M, x, &dy](float* out) { r.run(M, x, dy.get(), out); }});
      }
      const kc::ProductChoice choice = kc::choose_product(list, magnitude.get(), n, depth[product], pinned_, stream_);
      c.pick[product] = choice.pick;
      c.log += (c.log.empty() ? "" : ", ") + (std::string(product_name(product)) + ":" + choice.log);
    }
    kc::synchronize(stream_);
    return c;
  }

  ExecContextPtr ctx_;  // the context whose stream every product runs on (it outlives them)
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
                                                    const std::string& name, const ExecContextPtr& ctx) {
  return std::make_unique<CudaKeptWeights>(layout, unit, bits, name, ctx);
}

}  // namespace bitblock::backend
