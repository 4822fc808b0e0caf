// Every CUDA candidate of every product (cuda_candidates.hpp: the plain kernels and the
// tensor-core ones) against the CPU reference on edge shapes, and the device quantizer against
// the CPU codes bit for bit. Outputs are poisoned (NaN / 0x7fffffff) before each run, so an
// output no thread writes fails. Tolerances: tc_reference.hpp (bf16 operands) and fp32 for the
// plain kernels; binary x binary is exact. Skipped without a CUDA device.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "bitblock/kernels/bgemm.hpp"
#include "bitblock/kernels/bsgemm.hpp"
#include "bitblock/kernels/bsr_tiles.hpp"
#include "bitblock/kernels/pack.hpp"
#ifdef BITBLOCK_HAS_CUDA
#include "bitblock/kernels/cuda_candidates.hpp"
#include "bitblock/kernels/cuda_choice.hpp"
#include "bitblock/kernels/cuda_tc.hpp"
#include "bitblock/kernels/gemm.hpp"
#include "bitblock/kernels/result_check.hpp"
#endif
#include "kernels/device_buffers.hpp"
#include "kernels/kernel_test_data.hpp"
#include "kernels/tc_reference.hpp"

namespace bitblock::kernels {
namespace {

#ifdef BITBLOCK_HAS_CUDA
// fp32 accumulation in any order over up to 2^12 terms: |error| <= 2^-12 sum |a w| (plain kernels).
constexpr double kFp32 = 1.0 / 4096;

using testing::on_device;
using testing::to_host;

// Outputs filled with a value no kernel writes: NaN for floats, 0x7f7f7f7f (beyond any |dot| <= K)
// for int32.
template <typename T>
cuda::DeviceBuffer<T> poisoned(size_t n) {
  cuda::DeviceBuffer<T> d(std::max<size_t>(n, 1));
  CUDA_CHECK(cudaMemset(d.get(), std::is_floating_point<T>::value ? 0xff : 0x7f, d.size() * sizeof(T)));
  return d;
}
void expect_near_bound(const std::vector<float>& got, const std::vector<float>& want, const std::vector<double>& abs_sum,
                       double rel, const char* name) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(std::isfinite(got[i])) << name << ": output " << i << " not written";
    ASSERT_LE(std::fabs(double(got[i]) - want[i]), rel * abs_sum[i] + 1e-30) << name << ": output " << i;
  }
}
double rel_for(const char* name, double tc_rel) { return std::strncmp(name, "tc", 2) == 0 ? tc_rel : kFp32; }

struct Shape {
  int64_t M, N, K;
  int br, bc, bits, ratio;
};
// Sizes off every tile, batch 1, empty block-rows (random_block_mask leaves block-row 1 empty),
// k = 1..4 and 8, ratios 1..16, square and non-square blocks 8..64, blocks the tensor-core kernels
// do not take (plain only), and shapes with many panels per batch tile.
const Shape kShapes[] = {{1, 8, 8, 8, 8, 3, 1},       {17, 40, 70, 8, 8, 1, 2},     {33, 64, 96, 16, 8, 2, 2},
                         {5, 40, 130, 8, 16, 4, 3},   {40, 100, 90, 24, 40, 8, 1},  {16, 64, 64, 64, 64, 3, 1},
                         {70, 129, 257, 32, 16, 2, 4}, {3, 200, 24, 8, 8, 8, 16},   {1000, 129, 70, 8, 8, 3, 16},
                         {9, 40, 130, 4, 4, 2, 2},    {100, 1024, 784, 8, 8, 3, 8}, {300, 512, 1024, 8, 8, 1, 8},
                         {64, 256, 4096, 8, 8, 4, 8}};

struct Case {
  Shape s;
  BsrWeights w;
  std::vector<float> X, dY;
  cuda::BsrProblem problem() const { return {s.M, s.N, s.K, s.br, s.bc, s.bits}; }
};

Case make_case(const Shape& s, Rng& rng) {
  Case c{s, {}, {}, {}};
  const auto codes = testing::random_codes(s.N * s.K, s.bits, rng);
  const auto mask = testing::random_block_mask(s.N, s.K, s.br, s.bc, s.ratio, rng);
  std::vector<float> scales(static_cast<size_t>(s.N));
  for (auto& v : scales) v = rng.uniform(0.01f, 0.2f);
  c.w = bsr_pack(codes.data(), mask.data(), s.N, s.K, s.br, s.bc, s.bits, scales.data());
  c.X = testing::random_floats(s.M * s.K, rng);
  c.dY = testing::random_floats(s.M * s.N, rng);
  return c;
}

TEST(CudaTc, EveryForwardAndInputGradientCandidateMatchesTheReference) {
  SKIP_WITHOUT_DEVICE();
  Rng rng(31);
  for (const Shape& s : kShapes) {
    const Case c = make_case(s, rng);
    SCOPED_TRACE(::testing::Message() << s.M << "x" << s.N << "x" << s.K << " block " << s.br << "x" << s.bc << " bits "
                                      << s.bits << " ratio " << s.ratio);
    const auto wd = testing::dense_dequantized(c.w);
    const cuda::DeviceBsr dw = cuda::upload_bsr(c.w, nullptr);
    auto dX = on_device(c.X), ddY = on_device(c.dY);
    std::vector<float> y(static_cast<size_t>(s.M * s.N)), dx(static_cast<size_t>(s.M * s.K));
    reference::bsgemm_forward(c.X.data(), s.M, s.K, c.w, y.data(), s.N);
    reference::bsgemm_backward_input(c.dY.data(), s.M, s.N, c.w, dx.data(), s.K);
    const auto abs_y = testing::abs_product(c.X.data(), s.M, s.K, wd, s.N, s.K, false);
    const auto abs_dx = testing::abs_product(c.dY.data(), s.M, s.N, wd, s.N, s.K, true);
    int ran = 0;
    for (const auto& cand : cuda::bsgemm_forward_candidates()) {
      if (!cand.supports(c.problem())) continue;
      auto out = poisoned<float>(y.size());
      cand.launch(dX.get(), s.M, s.K, dw, out.get(), s.N, nullptr);
      expect_near_bound(to_host(out, y.size()), y, abs_y, rel_for(cand.name, testing::kBf16OneSide), cand.name);
      ++ran;
    }
    for (const auto& cand : cuda::bsgemm_backward_input_candidates()) {
      if (!cand.supports(c.problem())) continue;
      auto out = poisoned<float>(dx.size());
      cand.launch(ddY.get(), s.M, s.N, dw, out.get(), s.K, nullptr);
      expect_near_bound(to_host(out, dx.size()), dx, abs_dx, rel_for(cand.name, testing::kBf16OneSide), cand.name);
      ++ran;
    }
    const bool tc = tc_blocks_supported(s.br, s.bc);
    EXPECT_GE(ran, tc ? 4 : 2);  // the plain kernels always, and at least one tensor-core tile each
  }
}

TEST(CudaTc, EveryWeightGradientCandidateMatchesTheReference) {
  SKIP_WITHOUT_DEVICE();
  Rng rng(32);
  for (const Shape& s : kShapes) {
    const Case c = make_case(s, rng);
    SCOPED_TRACE(::testing::Message() << s.M << "x" << s.N << "x" << s.K << " block " << s.br << "x" << s.bc);
    const BsrLayout& l = c.w.layout;
    const cuda::DeviceBsr dw = cuda::upload_bsr(c.w, nullptr);
    auto dX = on_device(c.X), ddY = on_device(c.dY);
    const size_t n = static_cast<size_t>(l.kept_blocks() * l.block_elems());
    std::vector<float> want(n);
    reference::bsgemm_backward_weight(c.dY.data(), s.M, s.N, c.X.data(), s.K, l, want.data());
    const auto abs_sum = testing::abs_weight_grad(c.dY.data(), s.M, s.N, c.X.data(), s.K, l);
    for (const auto& cand : cuda::bsgemm_backward_weight_candidates()) {
      if (!cand.supports(c.problem())) continue;
      auto out = poisoned<float>(n);
      cand.launch(ddY.get(), s.M, s.N, dX.get(), s.K, dw, out.get(), nullptr);
      expect_near_bound(to_host(out, n), want, abs_sum, rel_for(cand.name, testing::kBf16TwoSides), cand.name);
    }
  }
}

TEST(CudaTc, EveryBinaryCandidateMatchesTheReference) {
  SKIP_WITHOUT_DEVICE();
  Rng rng(33);
  const int64_t shapes[][3] = {{1, 1, 1}, {7, 33, 7}, {33, 10, 784}, {100, 1000, 1000}, {5, 7, 2000},
                               {129, 130, 257}, {1000, 256, 4096}};
  for (const auto& sh : shapes) {
    const int64_t M = sh[0], N = sh[1], K = sh[2], words = sign_words(K);
    SCOPED_TRACE(::testing::Message() << M << "x" << N << "x" << K);
    const auto a = testing::random_floats(M * K, rng), b = testing::random_floats(N * K, rng);
    std::vector<float> scales(static_cast<size_t>(N));
    for (auto& v : scales) v = rng.uniform(0.01f, 0.2f);
    std::vector<uint64_t> A(static_cast<size_t>(M * words)), B(static_cast<size_t>(N * words));
    reference::pack_signs(a.data(), M, K, K, A.data());
    reference::pack_signs(b.data(), N, K, K, B.data());
    auto dA = on_device(A), dB = on_device(B);
    auto da = on_device(a), dscales = on_device(scales);
    const cuda::BinaryProblem problem{M, N, K};

    std::vector<int32_t> want(static_cast<size_t>(M * N));
    reference::bgemm_binary(A.data(), M, B.data(), N, K, want.data(), N);
    for (const auto& cand : cuda::bgemm_binary_candidates()) {
      if (!cand.supports(problem)) continue;
      auto out = poisoned<int32_t>(want.size());
      cand.launch(dA.get(), M, dB.get(), N, K, out.get(), N, nullptr);
      ASSERT_EQ(to_host(out, want.size()), want) << cand.name;
    }

    std::vector<float> wantf(static_cast<size_t>(M * N));
    reference::bgemm_float_binary(a.data(), M, K, B.data(), N, K, scales.data(), wantf.data(), N);
    std::vector<double> abs_sum(wantf.size());
    for (int64_t m = 0; m < M; ++m) {
      double row = 0.0;
      for (int64_t k = 0; k < K; ++k) row += std::fabs(double(a[m * K + k]));
      for (int64_t n = 0; n < N; ++n) abs_sum[m * N + n] = row * scales[n];
    }
    for (const auto& cand : cuda::bgemm_float_binary_candidates()) {
      if (!cand.supports(problem)) continue;
      auto out = poisoned<float>(wantf.size());
      cand.launch(da.get(), M, K, dB.get(), N, K, dscales.get(), out.get(), N, nullptr);
      expect_near_bound(to_host(out, wantf.size()), wantf, abs_sum, rel_for(cand.name, testing::kBf16OneSide), cand.name);
    }
  }
}

// The CPU codes of compact latent blocks (the constraint's quantize_code per kept position,
// 0 at ragged positions), as dense rows x cols codes.
std::vector<int8_t> host_codes(const BsrLayout& l, const std::vector<float>& latent, const std::vector<float>& scales,
                               int bits) {
  std::vector<int8_t> dense(static_cast<size_t>(l.rows * l.cols), 0);
  for (int64_t i = 0; i < l.num_block_rows(); ++i) {
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
      for (int r = 0; r < l.rows_in_block_row(i); ++r) {
        for (int c = 0; c < l.cols_in_block_col(l.block_col_idx[b]); ++c) {
          const int64_t n = i * l.block_rows + r, k = int64_t{l.block_col_idx[b]} * l.block_cols + c;
          dense[n * l.cols + k] = static_cast<int8_t>(
              quantize_code(latent[(int64_t{b} * l.block_rows + r) * l.block_cols + c], scales[n], bits));
        }
      }
    }
  }
  return dense;
}

TEST(CudaTc, DeviceQuantizerWritesTheCpuCodesBitForBit) {
  SKIP_WITHOUT_DEVICE();
  Rng rng(34);
  const Shape shapes[] = {{0, 40, 70, 8, 8, 0, 2}, {0, 100, 90, 24, 40, 0, 1}, {0, 129, 257, 32, 16, 0, 4},
                          {0, 37, 45, 4, 4, 0, 2}};
  for (const Shape& s : shapes) {
    const auto mask = testing::random_block_mask(s.N, s.K, s.br, s.bc, s.ratio, rng);
    const BsrLayout l = bsr_layout_from_mask(mask.data(), s.N, s.K, s.br, s.bc);
    const int64_t n = l.kept_blocks() * l.block_elems();
    std::vector<float> latent(static_cast<size_t>(n));
    for (auto& v : latent) v = rng.uniform(-1.0f, 1.0f);
    latent[0] = 0.0f;  // sign(0) = +1 for binary
    for (int bits = 1; bits <= 8; ++bits) {
      SCOPED_TRACE(::testing::Message() << s.N << "x" << s.K << " block " << s.br << "x" << s.bc << " bits " << bits);
      std::vector<float> scales(static_cast<size_t>(s.N));
      for (auto& v : scales) v = bits == 1 ? rng.uniform(0.1f, 0.6f) : rng.uniform(0.5f, 1.0f) / kbit_limit(bits);
      scales[1] = 0.0f;  // a row whose kept weights are all zero
      cuda::DeviceBsr dw = cuda::device_bsr_for_layout(l, bits);
      auto dlatent = on_device(latent), dscales = on_device(scales);
      cuda::quantize_blocks(dlatent.get(), dscales.get(), dw, nullptr);
      const auto dense = host_codes(l, latent, scales, bits);
      // values = code * scale, 0 at ragged positions
      const auto values = to_host(dw.values, static_cast<size_t>(n));
      for (int64_t i = 0; i < l.num_block_rows(); ++i) {
        for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
          for (int r = 0; r < l.block_rows; ++r) {
            for (int c = 0; c < l.block_cols; ++c) {
              const int64_t row = i * l.block_rows + r, col = int64_t{l.block_col_idx[b]} * l.block_cols + c;
              const bool in = row < l.rows && col < l.cols;
              const float want = in ? float(dense[row * l.cols + col]) * scales[row] : 0.0f;
              ASSERT_EQ(values[static_cast<size_t>((int64_t{b} * l.block_rows + r) * l.block_cols + c)], want);
            }
          }
        }
      }
      if (valid_code_bits(bits)) {  // the model-file widths: the BSR stream and tiles as the host packs them
        const BsrWeights w = bsr_pack_layout(dense.data(), l, bits, scales.data());
        const auto packed = to_host(dw.packed, static_cast<size_t>(dw.packed_bytes));
        ASSERT_EQ(packed, w.packed);
        if (dw.has_tiles()) {
          const BsrTiles t = bsr_tiles(w);
          ASSERT_EQ(to_host(dw.tiles_fwd, t.fwd.size()), t.fwd);
          ASSERT_EQ(to_host(dw.tiles_bwd, t.bwd.size()), t.bwd);
        }
      } else if (dw.has_tiles()) {  // 5..7 bits: the tiles from the host codes directly
        const int tr = l.block_rows / kTile, tc = l.block_cols / kTile;
        auto code_of = [&](int64_t tile, int r, int c) {
          const int64_t b = tile / (tr * tc);
          const int in_block = static_cast<int>(tile % (tr * tc));
          const int64_t i = std::upper_bound(l.block_row_ptr.begin(), l.block_row_ptr.end(), int32_t(b)) -
                            l.block_row_ptr.begin() - 1;
          const int64_t row = i * l.block_rows + in_block / tc * kTile + r;
          const int64_t col = int64_t{l.block_col_idx[b]} * l.block_cols + in_block % tc * kTile + c;
          return row < l.rows && col < l.cols ? int(dense[row * l.cols + col]) : 0;
        };
        const int64_t tiles = l.kept_blocks() * tr * tc;
        const auto fwd = to_host(dw.tiles_fwd, static_cast<size_t>(tile_stream_words(tiles, bits)));
        for (size_t w = 0; w < fwd.size(); ++w) ASSERT_EQ(fwd[w], tile_stream_word(int64_t(w), tiles, bits, false, code_of)) << w;
      }
    }
  }
}

TEST(CudaTc, ProductsOnQuantizedLatentBlocksMatchTheReference) {
  // The training path end to end: latent blocks -> quantize_blocks -> tensor-core products.
  SKIP_WITHOUT_DEVICE();
  Rng rng(35);
  const Shape s{64, 256, 1024, 8, 8, 3, 8};
  const auto mask = testing::random_block_mask(s.N, s.K, s.br, s.bc, s.ratio, rng);
  const BsrLayout l = bsr_layout_from_mask(mask.data(), s.N, s.K, s.br, s.bc);
  std::vector<float> latent(static_cast<size_t>(l.kept_blocks() * l.block_elems()));
  for (auto& v : latent) v = rng.uniform(-1.0f, 1.0f);
  std::vector<float> scales(static_cast<size_t>(s.N));
  for (auto& v : scales) v = rng.uniform(0.5f, 1.0f) / kbit_limit(s.bits);
  cuda::DeviceBsr dw = cuda::device_bsr_for_layout(l, s.bits);
  auto dlatent = on_device(latent), dscales = on_device(scales);
  cuda::quantize_blocks(dlatent.get(), dscales.get(), dw, nullptr);
  const BsrWeights w = bsr_pack_layout(host_codes(l, latent, scales, s.bits).data(), l, s.bits, scales.data());
  const auto X = testing::random_floats(s.M * s.K, rng);
  std::vector<float> y(static_cast<size_t>(s.M * s.N));
  reference::bsgemm_forward(X.data(), s.M, s.K, w, y.data(), s.N);
  const auto abs_y = testing::abs_product(X.data(), s.M, s.K, testing::dense_dequantized(w), s.N, s.K, false);
  auto dX = on_device(X);
  for (const auto& cand : cuda::bsgemm_forward_candidates()) {
    if (!cand.supports({s.M, s.N, s.K, s.br, s.bc, s.bits})) continue;
    auto out = poisoned<float>(y.size());
    cand.launch(dX.get(), s.M, s.K, dw, out.get(), s.N, nullptr);
    expect_near_bound(to_host(out, y.size()), y, abs_y, rel_for(cand.name, testing::kBf16OneSide), cand.name);
  }
}

// A layer needing less shared memory than an earlier layer of the same kernel variant must not
// take the limit away from it (launch_limits.hpp): layouts of 784, 256 and again 784 inputs (the
// first one's launch configuration cached), on every tensor-core candidate of each product, for
// 3- and 8-bit codes (separate kernel instantiations) and 8 and 16-row blocks (one or two output
// tiles per item).
TEST(CudaTc, ShrinkThenGrowLayoutsOnEveryKernelVariant) {
  SKIP_WITHOUT_DEVICE();
  Rng rng(36);
  for (const int bits : {3, 8}) {
    for (const int block : {8, 16}) {
      const Case wide = make_case({100, 256, 784, block, 8, bits, 8}, rng);
      const Case narrow = make_case({100, 256, 256, block, 8, bits, 8}, rng);
      const cuda::DeviceBsr dw_wide = cuda::upload_bsr(wide.w, nullptr), dw_narrow = cuda::upload_bsr(narrow.w, nullptr);
      for (const Case* c : {&wide, &narrow, &wide}) {
        const Shape& s = c->s;
        SCOPED_TRACE(::testing::Message() << "K " << s.K << " bits " << bits << " block " << block << "x8");
        const cuda::DeviceBsr& dw = c == &wide ? dw_wide : dw_narrow;
        const BsrLayout& l = c->w.layout;
        const auto wd = testing::dense_dequantized(c->w);
        auto dX = on_device(c->X), ddY = on_device(c->dY);
        std::vector<float> y(static_cast<size_t>(s.M * s.N)), dx(static_cast<size_t>(s.M * s.K));
        std::vector<float> dwant(static_cast<size_t>(l.kept_blocks() * l.block_elems()));
        reference::bsgemm_forward(c->X.data(), s.M, s.K, c->w, y.data(), s.N);
        reference::bsgemm_backward_input(c->dY.data(), s.M, s.N, c->w, dx.data(), s.K);
        reference::bsgemm_backward_weight(c->dY.data(), s.M, s.N, c->X.data(), s.K, l, dwant.data());
        const auto abs_y = testing::abs_product(c->X.data(), s.M, s.K, wd, s.N, s.K, false);
        const auto abs_dx = testing::abs_product(c->dY.data(), s.M, s.N, wd, s.N, s.K, true);
        const auto abs_dw = testing::abs_weight_grad(c->dY.data(), s.M, s.N, c->X.data(), s.K, l);
        for (const auto& cand : cuda::bsgemm_forward_candidates()) {
          if (std::strncmp(cand.name, "tc", 2) != 0 || !cand.supports(c->problem())) continue;
          auto out = poisoned<float>(y.size());
          cand.launch(dX.get(), s.M, s.K, dw, out.get(), s.N, nullptr);
          expect_near_bound(to_host(out, y.size()), y, abs_y, testing::kBf16OneSide, cand.name);
        }
        for (const auto& cand : cuda::bsgemm_backward_input_candidates()) {
          if (std::strncmp(cand.name, "tc", 2) != 0 || !cand.supports(c->problem())) continue;
          auto out = poisoned<float>(dx.size());
          cand.launch(ddY.get(), s.M, s.N, dw, out.get(), s.K, nullptr);
          expect_near_bound(to_host(out, dx.size()), dx, abs_dx, testing::kBf16OneSide, cand.name);
        }
        for (const auto& cand : cuda::bsgemm_backward_weight_candidates()) {
          if (std::strncmp(cand.name, "tc", 2) != 0 || !cand.supports(c->problem())) continue;
          auto out = poisoned<float>(dwant.size());
          cand.launch(ddY.get(), s.M, s.N, dX.get(), s.K, dw, out.get(), nullptr);
          expect_near_bound(to_host(out, dwant.size()), dwant, abs_dw, testing::kBf16TwoSides, cand.name);
        }
      }
    }
  }
}

// The autotuner's choice (cuda_choice.hpp) among the real tensor-core forward, the same kernel on
// weights with one kept block's codes zeroed, a candidate writing zeros, and the dense cuBLAS
// reference: the two wrong ones are rejected and never chosen, not even when pinned.
TEST(CudaTc, TunerRejectsAWrongCandidate) {
  SKIP_WITHOUT_DEVICE();
  Rng rng(37);
  const Shape s{100, 256, 784, 8, 8, 3, 8};
  auto codes = testing::random_codes(s.N * s.K, s.bits, rng);
  const auto mask = testing::random_block_mask(s.N, s.K, s.br, s.bc, s.ratio, rng);
  std::vector<float> scales(static_cast<size_t>(s.N));
  for (auto& v : scales) v = rng.uniform(0.001f, 0.004f);
  const BsrWeights w = bsr_pack(codes.data(), mask.data(), s.N, s.K, s.br, s.bc, s.bits, scales.data());
  // The same layout with the first kept block of block-row 2 holding zero codes.
  const BsrLayout& l = w.layout;
  ASSERT_GT(l.block_row_ptr[3], l.block_row_ptr[2]);
  const int64_t j = l.block_col_idx[static_cast<size_t>(l.block_row_ptr[2])];
  for (int64_t r = 2 * s.br; r < 3 * s.br; ++r)
    for (int64_t k = j * s.bc; k < (j + 1) * s.bc; ++k) codes[static_cast<size_t>(r * s.K + k)] = 0;
  const BsrWeights w_missing = bsr_pack_layout(codes.data(), l, s.bits, scales.data());
  const cuda::DeviceBsr dw = cuda::upload_bsr(w, nullptr), dw_missing = cuda::upload_bsr(w_missing, nullptr);
  const auto X = testing::random_floats(s.M * s.K, rng);
  const auto wd = testing::dense_dequantized(w);
  const std::vector<float> dense(wd.begin(), wd.end());
  const auto abs_y = testing::abs_product(X.data(), s.M, s.K, wd, s.N, s.K, false);
  const std::vector<float> magnitude(abs_y.begin(), abs_y.end());
  auto dX = on_device(X), ddense = on_device(dense), dmag = on_device(magnitude);
  const size_t n = static_cast<size_t>(s.M * s.N);
  const std::vector<cuda::ProductCandidate> list = {
      {"tc_m16", kBf16Rounding, [&](float* out) { cuda::bsgemm_forward_tc(dX.get(), s.M, s.K, dw, out, s.N, 1, nullptr); }},
      {"missing_block", kBf16Rounding,
       [&](float* out) { cuda::bsgemm_forward_tc(dX.get(), s.M, s.K, dw_missing, out, s.N, 1, nullptr); }},
      {"zeros", kBf16Rounding, [&](float* out) { CUDA_CHECK(cudaMemset(out, 0, n * sizeof(float))); }},
      {"dense", 0.0, [&](float* out) {
         cuda::gemm(false, true, s.M, s.N, s.K, 1.0f, dX.get(), s.K, ddense.get(), s.K, 0.0f, out, s.N, nullptr);
       }}};
  for (const char* pinned : {"", "missing_block", "zeros", "tc_m16"}) {
    SCOPED_TRACE(pinned);
    const cuda::ProductChoice c = cuda::choose_product(list, dmag.get(), n, s.K, pinned, nullptr);
    std::printf("pinned '%s':%s\n", pinned, c.log.c_str());
    ASSERT_EQ(c.outcomes.size(), list.size());
    EXPECT_TRUE(c.outcomes[0].accepted) << "worst " << c.outcomes[0].worst;
    EXPECT_FALSE(c.outcomes[1].accepted);
    EXPECT_FALSE(c.outcomes[2].accepted);
    EXPECT_TRUE(c.outcomes[3].accepted);
    EXPECT_NE(c.pick, 1u);
    EXPECT_NE(c.pick, 2u);
    if (std::string(pinned) == "tc_m16") {
      EXPECT_EQ(c.pick, 0u);
    }
  }
}
#endif  // BITBLOCK_HAS_CUDA

}  // namespace
}  // namespace bitblock::kernels
