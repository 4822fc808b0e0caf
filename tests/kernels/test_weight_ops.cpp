// The weight products of training and inference in the op-case harness (op_harness.hpp): block-
// sparse float (bsgemm, from BsrWeights, from its plan and from float kept blocks) and integer
// (bsgemm_int), binary (bgemm dense, and on kept blocks with sign inputs), element-sparse (csr),
// column gather / scatter, the batched transpose and the packing of signs and k-bit codes. The
// reference of every case is a plain loop over the dense matrix written here, not the kernels'
// reference:: code; the optimized CPU path runs on every ISA the CPU has, CUDA (where the op has
// a CUDA version) against the CPU path on a device. Shapes: batch 1, K not a multiple of 64 (and
// of 8), ragged edge blocks, empty block-rows (kernel_test_data.hpp's masks leave block-row 1
// empty), padded leading dimensions whose padding must keep its values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "bitblock/common/rng.hpp"
#include "bitblock/kernels/bgemm.hpp"
#include "bitblock/kernels/bgemm_blocks.hpp"
#include "bitblock/kernels/bsgemm.hpp"
#include "bitblock/kernels/bsr.hpp"
#include "bitblock/kernels/bsr_plan.hpp"
#include "bitblock/kernels/codes.hpp"
#include "bitblock/kernels/csr.hpp"
#include "bitblock/kernels/gather.hpp"
#include "bitblock/kernels/pack.hpp"
#include "bitblock/kernels/transpose.hpp"
#include "kernels/kernel_test_data.hpp"
#include "kernels/op_harness.hpp"

namespace bitblock::kernels::testing {
namespace {

constexpr float kPoison = 7.5f;          // in output padding: must be left as it is
constexpr int32_t kIntPoison = 0x7f7f7f7f;  // beyond any |dot| here

std::string dims(std::initializer_list<int64_t> d) {
  std::string s;
  for (int64_t v : d) s += (s.empty() ? "" : "x") + std::to_string(v);
  return s;
}

std::vector<float> floats(int64_t n, uint64_t seed) {
  Rng rng(seed);
  return random_floats(n, rng);
}

// Inputs with exact zeros (both signs) among them: sign(0) = sign(-0) = +1.
std::vector<float> floats_with_zeros(int64_t n, uint64_t seed) {
  std::vector<float> v = floats(n, seed);
  for (size_t i = 0; i < v.size(); i += 7) v[i] = (i / 7) % 2 ? -0.0f : 0.0f;
  return v;
}

// The kept blocks of an element mask in CSR order (block-row, then block-column): a block is kept
// when any of its elements is.
std::vector<std::pair<int64_t, int64_t>> kept_blocks(const std::vector<uint8_t>& mask, int64_t rows, int64_t cols,
                                                     int br, int bc) {
  std::vector<std::pair<int64_t, int64_t>> kept;
  for (int64_t i = 0; i * br < rows; ++i)
    for (int64_t j = 0; j * bc < cols; ++j) {
      bool any = false;
      for (int64_t r = i * br; r < std::min<int64_t>(rows, (i + 1) * br); ++r)
        for (int64_t c = j * bc; c < std::min<int64_t>(cols, (j + 1) * bc); ++c) any |= mask[r * cols + c] != 0;
      if (any) kept.emplace_back(i, j);
    }
  return kept;
}

// Sign words of rows x cols floats (row r at x + r * ld): bit c % 64 of word c / 64 set for x >= 0.
std::vector<uint64_t> sign_rows(const std::vector<float>& x, int64_t rows, int64_t cols, int64_t ld) {
  const int64_t words = (cols + 63) / 64;
  std::vector<uint64_t> out(static_cast<size_t>(rows * words), 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      if (x[r * ld + c] >= 0.0f) out[r * words + c / 64] |= uint64_t{1} << (c % 64);
  return out;
}

float sign_of(float x) { return x >= 0.0f ? 1.0f : -1.0f; }

// Y[m][n] = sum_k X[m][k] W[n][k] (W dense, N x K, ld K) in double, into an M x ldy buffer whose
// other columns keep their values.
std::vector<float> times_transposed(const std::vector<float>& X, int64_t M, int64_t K, int64_t ldx,
                                    const std::vector<double>& W, int64_t N, std::vector<float> Y, int64_t ldy) {
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k) s += double(X[m * ldx + k]) * W[n * K + k];
      Y[m * ldy + n] = static_cast<float>(s);
    }
  return Y;
}
// dX[m][k] = sum_n dY[m][n] W[n][k].
std::vector<float> times(const std::vector<float>& dY, int64_t M, int64_t N, int64_t lddy, const std::vector<double>& W,
                         int64_t K, std::vector<float> dX, int64_t lddx) {
  for (int64_t m = 0; m < M; ++m)
    for (int64_t k = 0; k < K; ++k) {
      double s = 0;
      for (int64_t n = 0; n < N; ++n) s += double(dY[m * lddy + n]) * W[n * K + k];
      dX[m * lddx + k] = static_cast<float>(s);
    }
  return dX;
}
// sum_m dY[m][n] X[m][k].
float weight_grad(const std::vector<float>& dY, int64_t lddy, const std::vector<float>& X, int64_t ldx, int64_t M,
                  int64_t n, int64_t k) {
  double s = 0;
  for (int64_t m = 0; m < M; ++m) s += double(dY[m * lddy + n]) * X[m * ldx + k];
  return static_cast<float>(s);
}

// --- bsgemm: float products on kept blocks ----------------------------------------------------

enum class BsrForm { Weights, Plan, Blocks };

struct BsgemmCase : OpCase {
  int64_t M, N, K;
  int br, bc, bits;
  BsrForm form;
  int64_t ldx, lddy, ldy, lddx;
  std::vector<float> X, dY, scales;
  std::vector<int8_t> codes;
  std::vector<uint8_t> mask;
  std::vector<std::pair<int64_t, int64_t>> kept;
  std::vector<double> Wd;  // dense dequantized weights, 0 outside kept blocks
  BsgemmCase(int64_t m, int64_t n, int64_t k, int br_, int bc_, int bits_, int ratio, BsrForm f)
      : M(m), N(n), K(k), br(br_), bc(bc_), bits(bits_), form(f), ldx(k + 3), lddy(n + 1), ldy(n + 2), lddx(k + 1) {
    Rng rng(100 + static_cast<uint64_t>(m * 7 + n * 5 + k));
    codes = random_codes(N * K, bits, rng);
    mask = random_block_mask(N, K, br, bc, ratio, rng);
    // |Wd| <= 1, so the sums' rounding errors scale with sqrt(terms).
    for (int64_t i = 0; i < N; ++i) scales.push_back(rng.uniform(0.5f, 1.0f) / static_cast<float>(code_max(bits)));
    X = floats(M * ldx, 101);
    dY = floats(M * lddy, 102);
    kept = kept_blocks(mask, N, K, br, bc);
    const std::vector<int8_t> dense = masked_dense(codes, mask, N, K, br, bc);
    for (int64_t i = 0; i < N * K; ++i) Wd.push_back(double(dense[i]) * double(scales[i / K]));
  }
  std::string name() const override {
    const char* forms[] = {"weights", "plan", "blocks"};
    return std::string("bsgemm ") + forms[static_cast<int>(form)] + " " + dims({M, N, K}) + " blocks " +
           dims({br, bc}) + " bits " + std::to_string(bits);
  }
  int64_t block_elems() const { return int64_t{br} * bc; }
  std::vector<Output> run(Impl impl) const override {
    std::vector<float> y(M * ldy, kPoison), dx(M * lddx, kPoison), dw(kept.size() * block_elems(), kPoison);
    if (impl == Impl::Reference) {
      y = times_transposed(X, M, K, ldx, Wd, N, y, ldy);
      dx = times(dY, M, N, lddy, Wd, K, dx, lddx);
      for (size_t b = 0; b < kept.size(); ++b)
        for (int r = 0; r < br; ++r)
          for (int c = 0; c < bc; ++c) {
            const int64_t n = kept[b].first * br + r, k = kept[b].second * bc + c;
            dw[(b * br + r) * bc + c] = n < N && k < K ? weight_grad(dY, lddy, X, ldx, M, n, k) : 0.0f;
          }
      return {output("y", y), output("dx", dx), output("dw", dw)};
    }
    const BsrWeights w = bsr_pack(codes.data(), mask.data(), N, K, br, bc, bits, scales.data());
    Arena mem(impl);
    const float* px = mem.put(X);
    const float* pdy = mem.put(dY);
    float* py = mem.put(y);
    float* pdx = mem.put(dx);
    float* pdw = mem.put(dw);
    if (impl == Impl::Cuda) {
#ifdef BITBLOCK_HAS_CUDA
      const cuda::DeviceBsr dev = cuda::upload_bsr(w, nullptr);
      cuda::bsgemm_forward(px, M, ldx, dev, py, ldy, nullptr);
      cuda::bsgemm_backward_input(pdy, M, lddy, dev, pdx, lddx, nullptr);
      cuda::bsgemm_backward_weight(pdy, M, lddy, px, ldx, dev, pdw, nullptr);
#else
      throw std::logic_error("CPU-only build");
#endif
    } else if (form == BsrForm::Weights) {
      bsgemm_forward(px, M, ldx, w, py, ldy);
      bsgemm_backward_input(pdy, M, lddy, w, pdx, lddx);
    } else {
      BsrPlan plan;
      if (form == BsrForm::Plan) {
        plan = bsr_plan(w);
      } else {  // the training path: float kept blocks, laid out here from the dense weights
        plan = bsr_plan_for_layout(w.layout);
        std::vector<float> blocks(kept.size() * block_elems(), 0.0f);
        for (size_t b = 0; b < kept.size(); ++b)
          for (int r = 0; r < br; ++r)
            for (int c = 0; c < bc; ++c) {
              const int64_t n = kept[b].first * br + r, k = kept[b].second * bc + c;
              if (n < N && k < K) blocks[(b * br + r) * bc + c] = static_cast<float>(Wd[n * K + k]);
            }
        bsr_plan_set_blocks(plan, blocks.data());
      }
      bsgemm_forward(px, M, ldx, plan, py, ldy);
      bsgemm_backward_input(pdy, M, lddy, plan, pdx, lddx);
    }
    if (impl == Impl::Cpu) bsgemm_backward_weight(pdy, M, lddy, px, ldx, w.layout, pdw);
    return {output("y", mem.get(py, y.size())), output("dx", mem.get(pdx, dx.size())),
            output("dw", mem.get(pdw, dw.size()))};
  }
  double cpu_tolerance() const override { return 1e-5 * std::sqrt(double(std::max({M, N, K})) + 1); }
  double cuda_tolerance() const override { return 1e-4 * (8 * std::sqrt(double(std::max({M, N, K}))) + 1); }
  bool on_cuda() const override { return form == BsrForm::Weights; }
};

// --- bsgemm_int: the integer inference product ------------------------------------------------

struct BsgemmIntCase : OpCase {
  int64_t M, N, K;
  int br, bc, bits;
  int64_t ldx, ldy;
  std::vector<int16_t> X;
  std::vector<int8_t> codes, dense;
  std::vector<uint8_t> mask;
  BsgemmIntCase(int64_t m, int64_t n, int64_t k, int br_, int bc_, int bits_, int ratio)
      : M(m), N(n), K(k), br(br_), bc(bc_), bits(bits_), ldx(k + 5), ldy(n + 3) {
    Rng rng(200 + static_cast<uint64_t>(m + n + k + bits));
    codes = random_codes(N * K, bits, rng);
    mask = random_block_mask(N, K, br, bc, ratio, rng);
    X = random_int16(M * ldx, -32768, 32767, rng);  // full int16 range: sums need the int32 headroom
    dense = masked_dense(codes, mask, N, K, br, bc);
  }
  std::string name() const override {
    return "bsgemm_int " + dims({M, N, K}) + " blocks " + dims({br, bc}) + " bits " + std::to_string(bits);
  }
  std::vector<Output> run(Impl impl) const override {
    std::vector<int32_t> y(M * ldy, kIntPoison);
    if (impl == Impl::Reference) {
      for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
          int64_t s = 0;
          for (int64_t k = 0; k < K; ++k) s += int64_t{X[m * ldx + k]} * dense[n * K + k];
          y[m * ldy + n] = static_cast<int32_t>(s);
        }
      return {output("y", y)};
    }
    const BsrWeights w = bsr_pack(codes.data(), mask.data(), N, K, br, bc, bits, nullptr);
    bsgemm_int(X.data(), M, ldx, w, y.data(), ldy);
    return {output("y", y)};
  }
  bool on_cuda() const override { return false; }
};

// --- bgemm: binary products on sign words -----------------------------------------------------

struct BgemmCase : OpCase {
  int64_t M, N, K;
  bool scaled;
  int64_t ldx, ldc, ldy;
  std::vector<float> a, b, scales;
  std::vector<uint64_t> A, B;
  BgemmCase(int64_t m, int64_t n, int64_t k, bool scaled_)
      : M(m), N(n), K(k), scaled(scaled_), ldx(k + 2), ldc(n + 1), ldy(n + 3) {
    a = floats_with_zeros(M * ldx, 300);
    b = floats_with_zeros(N * K, 301);
    scales = floats(N, 302);
    A = sign_rows(a, M, K, ldx);
    B = sign_rows(b, N, K, K);
  }
  std::string name() const override { return "bgemm " + dims({M, N, K}) + (scaled ? " scaled" : ""); }
  std::vector<Output> run(Impl impl) const override {
    std::vector<int32_t> c(M * ldc, kIntPoison);
    std::vector<float> y(M * ldy, kPoison);
    if (impl == Impl::Reference) {
      for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
          int32_t dot = 0;
          double s = 0;
          for (int64_t k = 0; k < K; ++k) {
            dot += static_cast<int32_t>(sign_of(a[m * ldx + k]) * sign_of(b[n * K + k]));
            s += double(a[m * ldx + k]) * sign_of(b[n * K + k]);
          }
          c[m * ldc + n] = dot;
          y[m * ldy + n] = static_cast<float>(s * (scaled ? scales[n] : 1.0f));
        }
      return {output("c", c), output("y", y)};
    }
    Arena mem(impl);
    const uint64_t* pa = mem.put(A);
    const uint64_t* pb = mem.put(B);
    const float* px = mem.put(a);
    const float* ps = scaled ? mem.put(scales) : nullptr;
    int32_t* pc = mem.put(c);
    float* py = mem.put(y);
    BB_DISPATCH_OPTIMIZED(impl, bgemm_binary, pa, M, pb, N, K, pc, ldc);
    BB_DISPATCH_OPTIMIZED(impl, bgemm_float_binary, px, M, ldx, pb, N, K, ps, py, ldy);
    return {output("c", mem.get(pc, c.size())), output("y", mem.get(py, y.size()))};
  }
  double cpu_tolerance() const override { return 1e-5 * std::sqrt(double(K) + 1); }
  double cuda_tolerance() const override { return 1e-4 * std::sqrt(double(K)) + 1e-5; }
};

// --- bgemm on kept blocks: binary weights times sign inputs (+-1 or 0) ------------------------

struct BgemmBlocksCase : OpCase {
  int64_t M, N, K;
  int br, bc;
  bool from_kept;  // binary_blocks_set_kept (else set_dense)
  int64_t ldx, ldy;
  std::vector<uint8_t> mask;
  std::vector<std::pair<int64_t, int64_t>> kept;
  std::vector<float> W, row_scale, X;  // W: +-row_scale[n] at kept positions, 0 elsewhere
  std::vector<int16_t> Xi;
  BgemmBlocksCase(int64_t m, int64_t n, int64_t k, int br_, int bc_, int ratio, bool from_kept_)
      : M(m), N(n), K(k), br(br_), bc(bc_), from_kept(from_kept_), ldx(k + 1), ldy(n + 2) {
    Rng rng(400 + static_cast<uint64_t>(m + n + k + br));
    mask = random_block_mask(N, K, br, bc, ratio, rng);
    kept = kept_blocks(mask, N, K, br, bc);
    W.assign(static_cast<size_t>(N * K), 0.0f);
    row_scale.assign(static_cast<size_t>(N), 0.0f);
    for (int64_t i = 0; i < N; ++i) row_scale[i] = rng.uniform(0.5f, 1.5f);
    for (const auto& [bi, bj] : kept)
      for (int64_t r = bi * br; r < std::min<int64_t>(N, (bi + 1) * br); ++r)
        for (int64_t c = bj * bc; c < std::min<int64_t>(K, (bj + 1) * bc); ++c)
          W[r * K + c] = rng.below(2) ? row_scale[r] : -row_scale[r];
    for (int64_t i = 0; i < M * ldx; ++i) {
      const int v = static_cast<int>(rng.below(3)) - 1;
      X.push_back(static_cast<float>(v));
      Xi.push_back(static_cast<int16_t>(v));
    }
  }
  std::string name() const override {
    return "bgemm_sign_input " + dims({M, N, K}) + " blocks " + dims({br, bc}) + (from_kept ? " kept" : " dense");
  }
  std::vector<Output> run(Impl impl) const override {
    std::vector<float> y(M * ldy, kPoison);
    std::vector<int32_t> yi(M * ldy, kIntPoison);
    if (impl == Impl::Reference) {
      for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
          int32_t dot = 0;
          for (int64_t k = 0; k < K; ++k)
            if (W[n * K + k] != 0.0f) dot += static_cast<int32_t>(Xi[m * ldx + k] * sign_of(W[n * K + k]));
          yi[m * ldy + n] = dot;
          y[m * ldy + n] = row_scale[n] * static_cast<float>(dot);  // the exact sum, one multiply
        }
      return {output("y", y), output("y_int", yi)};
    }
    BinaryBlocks w = binary_blocks(bsr_layout_from_mask(mask.data(), N, K, br, bc));
    if (from_kept) {
      std::vector<float> blocks(kept.size() * br * bc, 0.0f);
      for (size_t b = 0; b < kept.size(); ++b)
        for (int r = 0; r < br; ++r)
          for (int c = 0; c < bc; ++c) {
            const int64_t n = kept[b].first * br + r, k = kept[b].second * bc + c;
            if (n < N && k < K) blocks[(b * br + r) * bc + c] = W[n * K + k];
          }
      binary_blocks_set_kept(w, blocks.data());
    } else {
      binary_blocks_set_dense(w, W.data());
    }
    bgemm_sign_input(X.data(), M, ldx, w, y.data(), ldy);
    bgemm_sign_input_int(Xi.data(), M, ldx, w, yi.data(), ldy);
    return {output("y", y), output("y_int", yi)};
  }
  bool on_cuda() const override { return false; }
};

// --- csr: element-sparse products -------------------------------------------------------------

struct CsrCase : OpCase {
  int64_t M, N, K;
  int64_t ldx, lddy, ldy, lddx;
  std::vector<uint8_t> mask;
  std::vector<float> values, X, dY;
  std::vector<double> Wd;
  std::vector<std::pair<int64_t, int64_t>> kept;  // (n, k) in row order
  CsrCase(int64_t m, int64_t n, int64_t k, int ratio)
      : M(m), N(n), K(k), ldx(k + 1), lddy(n + 2), ldy(n + 1), lddx(k + 3) {
    Rng rng(500 + static_cast<uint64_t>(m + n + k));
    mask = random_block_mask(N, K, 1, 1, ratio, rng);
    Wd.assign(static_cast<size_t>(N * K), 0.0);
    for (int64_t i = 0; i < N; ++i)
      for (int64_t j = 0; j < K; ++j)
        if (mask[i * K + j]) {
          values.push_back(rng.uniform(-1.0f, 1.0f));
          Wd[i * K + j] = values.back();
          kept.emplace_back(i, j);
        }
    X = floats(M * ldx, 501);
    dY = floats(M * lddy, 502);
  }
  std::string name() const override { return "csr " + dims({M, N, K}) + " kept " + std::to_string(values.size()); }
  std::vector<Output> run(Impl impl) const override {
    std::vector<float> y(M * ldy, kPoison), dx(M * lddx, kPoison), dw(values.size(), kPoison);
    if (impl == Impl::Reference) {
      y = times_transposed(X, M, K, ldx, Wd, N, y, ldy);
      dx = times(dY, M, N, lddy, Wd, K, dx, lddx);
      for (size_t e = 0; e < kept.size(); ++e) dw[e] = weight_grad(dY, lddy, X, ldx, M, kept[e].first, kept[e].second);
      return {output("y", y), output("dx", dx), output("dw", dw)};
    }
    const CsrPlan plan = csr_plan(bsr_layout_from_mask(mask.data(), N, K, 1, 1));
    csr_forward(X.data(), M, ldx, plan, values.data(), y.data(), ldy);
    csr_backward_input(dY.data(), M, lddy, plan, values.data(), dx.data(), lddx);
    csr_backward_weight(dY.data(), M, lddy, X.data(), ldx, plan, dw.data());
    return {output("y", y), output("dx", dx), output("dw", dw)};
  }
  double cpu_tolerance() const override { return 1e-5 * std::sqrt(double(std::max({M, N, K})) + 1); }
  bool on_cuda() const override { return false; }
};

// --- gather / scatter of columns --------------------------------------------------------------

struct GatherCase : OpCase {
  int64_t M, width;
  std::vector<int32_t> any_cols, increasing;  // gather: any indices, repeats too; scatter: increasing
  int64_t ldx, ldy, ldc, ldw;
  std::vector<float> X, C;
  GatherCase(int64_t m, int64_t w, std::vector<int32_t> any, std::vector<int32_t> inc)
      : M(m), width(w), any_cols(std::move(any)), increasing(std::move(inc)) {
    ldx = width + 2;
    ldy = static_cast<int64_t>(any_cols.size()) + 1;
    ldc = static_cast<int64_t>(increasing.size()) + 3;
    ldw = width + 1;
    X = floats(M * ldx, 600);
    C = floats(M * ldc, 601);
  }
  std::string name() const override {
    return "gather/scatter columns " + dims({M, width}) + " n " + std::to_string(any_cols.size()) + "/" +
           std::to_string(increasing.size());
  }
  std::vector<Output> run(Impl impl) const override {
    const auto n = static_cast<int64_t>(any_cols.size()), s = static_cast<int64_t>(increasing.size());
    std::vector<float> y(std::max<int64_t>(M * ldy, 1), kPoison), z(M * ldw, kPoison);
    if (impl == Impl::Reference) {
      for (int64_t m = 0; m < M; ++m) {
        for (int64_t k = 0; k < n; ++k) y[m * ldy + k] = X[m * ldx + any_cols[k]];
        for (int64_t j = 0; j < width; ++j) z[m * ldw + j] = 0.0f;
        for (int64_t k = 0; k < s; ++k) z[m * ldw + increasing[k]] = C[m * ldc + k];
      }
    } else {
      gather_columns(X.data(), M, ldx, any_cols.data(), n, y.data(), ldy);
      scatter_columns(C.data(), M, ldc, increasing.data(), s, z.data(), width, ldw);
    }
    return {output("gathered", y), output("scattered", z)};
  }
  bool on_cuda() const override { return false; }
};

// --- transpose ----------------------------------------------------------------------------------

struct TransposeCase : OpCase {
  int64_t batch, rows, cols, lda, a_stride, ldb, b_stride;
  std::vector<float> A;
  TransposeCase(int64_t b, int64_t r, int64_t c) : batch(b), rows(r), cols(c) {
    lda = cols + 1;
    a_stride = rows * lda + 2;
    ldb = rows + 3;
    b_stride = cols * ldb + 1;
    A = floats(batch * a_stride, 700);
  }
  std::string name() const override { return "transpose " + dims({batch, rows, cols}); }
  std::vector<Output> run(Impl impl) const override {
    std::vector<float> B(batch * b_stride, kPoison);
    if (impl == Impl::Reference) {
      for (int64_t s = 0; s < batch; ++s)
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < cols; ++c) B[s * b_stride + c * ldb + r] = A[s * a_stride + r * lda + c];
      return {output("b", B)};
    }
    Arena mem(impl);
    const float* pa = mem.put(A);
    float* pb = mem.put(B);
    BB_DISPATCH_OPTIMIZED(impl, transpose, pa, batch, rows, cols, lda, a_stride, pb, ldb, b_stride);
    return {output("b", mem.get(pb, B.size()))};
  }
};

// --- packing: sign words, k-bit codes -----------------------------------------------------------

// 64-bit words as their two 32-bit halves (Output holds doubles, exact to 2^53).
Output word_halves(std::string name, const std::vector<uint64_t>& words) {
  std::vector<double> v;
  for (uint64_t w : words) {
    v.push_back(static_cast<double>(w & 0xffffffffu));
    v.push_back(static_cast<double>(w >> 32));
  }
  return {std::move(name), std::move(v)};
}

struct PackSignsCase : OpCase {
  int64_t rows, cols, ldx;
  std::vector<float> x;
  PackSignsCase(int64_t r, int64_t c) : rows(r), cols(c), ldx(c + 5), x(floats_with_zeros(r * (c + 5), 800)) {}
  std::string name() const override { return "pack_signs " + dims({rows, cols}); }
  std::vector<Output> run(Impl impl) const override {
    if (impl == Impl::Reference) return {word_halves("words", sign_rows(x, rows, cols, ldx))};
    Arena mem(impl);
    const float* px = mem.put(x);
    // Poisoned words: padding bits must come out 0.
    uint64_t* out = mem.put(std::vector<uint64_t>(rows * sign_words(cols), ~uint64_t{0}));
    BB_DISPATCH_OPTIMIZED(impl, pack_signs, px, rows, cols, ldx, out);
    return {word_halves("words", mem.get(out, static_cast<size_t>(rows * sign_words(cols))))};
  }
};

struct CodesCase : OpCase {
  int bits;
  float scale;
  int64_t rows, cols;
  std::vector<float> x;
  CodesCase(int bits_, float scale_, int64_t r, int64_t c) : bits(bits_), scale(scale_), rows(r), cols(c) {
    x = floats_with_zeros(r * c, 900 + static_cast<uint64_t>(bits));
    for (float& v : x) v *= 4.0f * scale;  // up to 4 steps each way: past +-limit for 2 and 3 bits
    // Ties: x / scale = j + 1/2, rounded away from zero.
    for (int64_t i = 0; i < r * c && i < 80; i += 2) x[i] = static_cast<float>(i / 2 - 20) * 0.5f * scale;
  }
  std::string name() const override {
    return "codes bits " + std::to_string(bits) + " scale " + std::to_string(scale) + " " + dims({rows, cols});
  }
  std::vector<Output> run(Impl impl) const override {
    const int64_t n = rows * cols;
    std::vector<int8_t> codes(n, 99);
    std::vector<float> back(n, kPoison), unpacked(rows * (cols + 1), kPoison);
    const std::vector<uint64_t> words = sign_rows(x, rows, cols, cols);
    if (impl == Impl::Reference) {
      const float limit = bits == 1 ? 1.0f : static_cast<float>((1 << (bits - 1)) - 1);
      for (int64_t i = 0; i < n; ++i) {
        const float q = bits == 1 ? sign_of(x[i]) : std::clamp(std::round(x[i] / scale), -limit, limit);
        codes[i] = static_cast<int8_t>(q);
        back[i] = q * scale;
      }
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) unpacked[r * (cols + 1) + c] = sign_of(x[r * cols + c]);
    } else {
      quantize_codes(x.data(), n, bits, scale, codes.data());
      dequantize_codes(codes.data(), n, scale, back.data());
      unpack_signs(words.data(), rows, cols, unpacked.data(), cols + 1);
    }
    return {output("codes", codes), output("dequantized", back), output("unpacked", unpacked)};
  }
  bool on_cuda() const override { return false; }
};

// --- the case list ----------------------------------------------------------------------------

std::vector<std::unique_ptr<OpCase>> weight_cases() {
  std::vector<std::unique_ptr<OpCase>> c;
  struct Shape {
    int64_t M, N, K;
    int br, bc, bits, ratio;
  };
  // Batch 1; K of 1, 70, 130, 200 (not multiples of 64); ragged edges both ways; 1 x 1 blocks;
  // a block as large as the matrix; block-row 1 empty in every mask.
  const Shape shapes[] = {{1, 1, 1, 1, 1, 1, 1},      {1, 10, 70, 4, 8, 2, 2},    {7, 33, 7, 16, 8, 3, 1},
                          {13, 30, 130, 8, 16, 4, 3}, {5, 12, 200, 32, 4, 8, 2},  {9, 40, 130, 24, 40, 1, 2},
                          {3, 17, 65, 1, 1, 5, 4},    {16, 64, 64, 64, 64, 2, 1}, {2, 20, 100, 8, 8, 7, 5}};
  for (const Shape& s : shapes) {
    for (BsrForm f : {BsrForm::Weights, BsrForm::Plan, BsrForm::Blocks})
      c.push_back(std::make_unique<BsgemmCase>(s.M, s.N, s.K, s.br, s.bc, s.bits, s.ratio, f));
    c.push_back(std::make_unique<BsgemmIntCase>(s.M, s.N, s.K, s.br, s.bc, s.bits, s.ratio));
    for (bool kept : {false, true})
      c.push_back(std::make_unique<BgemmBlocksCase>(s.M, s.N, s.K, s.br, s.bc, s.ratio, kept));
  }
  for (auto [m, n, k] : {std::tuple{1, 1, 1}, {1, 9, 70}, {7, 33, 63}, {5, 8, 64}, {3, 10, 65}, {33, 17, 300}})
    for (bool scaled : {false, true}) c.push_back(std::make_unique<BgemmCase>(m, n, k, scaled));
  for (auto [m, n, k, ratio] : {std::tuple{1, 1, 1, 1}, {1, 10, 70, 3}, {9, 17, 130, 5}, {16, 33, 8, 2}})
    c.push_back(std::make_unique<CsrCase>(m, n, k, ratio));
  c.push_back(std::make_unique<GatherCase>(1, 1, std::vector<int32_t>{0}, std::vector<int32_t>{0}));
  c.push_back(std::make_unique<GatherCase>(5, 70, std::vector<int32_t>{69, 0, 3, 3, 40},
                                           std::vector<int32_t>{0, 2, 3, 64, 69}));
  c.push_back(std::make_unique<GatherCase>(3, 9, std::vector<int32_t>{}, std::vector<int32_t>{}));  // nothing kept
  for (auto [b, r, cl] : {std::tuple{1, 1, 1}, {1, 8, 8}, {3, 7, 9}, {2, 17, 33}, {1, 64, 130}, {4, 9, 1}})
    c.push_back(std::make_unique<TransposeCase>(b, r, cl));
  for (auto [r, cl] : {std::pair{1, 1}, {3, 63}, {2, 64}, {5, 65}, {1, 130}, {9, 200}})
    c.push_back(std::make_unique<PackSignsCase>(r, cl));
  for (int bits : {1, 2, 3, 4, 8})
    for (float scale : {0.25f, 0.3f}) c.push_back(std::make_unique<CodesCase>(bits, scale, 3, 67));
  return c;
}

TEST(WeightOps, CpuMatchesReference) {
  for (const auto& c : weight_cases()) check_cpu(*c);
}

TEST(WeightOps, CudaMatchesCpu) {
  if (!cuda_usable()) GTEST_SKIP() << "no usable CUDA device";
  for (const auto& c : weight_cases()) check_cuda(*c);
}

}  // namespace
}  // namespace bitblock::kernels::testing
