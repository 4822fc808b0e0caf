// CUDA kernels against the CPU references on random and edge shapes. Skipped when the build has
// no CUDA or no device/driver is present.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "bitblock/kernels/bgemm.hpp"
#include "bitblock/kernels/bsgemm.hpp"
#include "bitblock/kernels/pack.hpp"
#include "kernels/device_buffers.hpp"
#include "kernels/kernel_test_data.hpp"

namespace bitblock::kernels {
namespace {

#ifdef BITBLOCK_HAS_CUDA
using testing::on_device;
using testing::to_host;

TEST(CudaKernels, PackSignsAndBinaryGemmsMatchReference) {
  SKIP_WITHOUT_DEVICE();
  Rng rng(1);
  const int64_t shapes[][3] = {{1, 1, 1}, {7, 33, 7}, {33, 10, 784}, {100, 1000, 1000}, {5, 7, 2000}};
  for (const auto& s : shapes) {
    const int64_t M = s[0], N = s[1], K = s[2], words = sign_words(K);
    const auto a = testing::random_floats(M * K, rng), b = testing::random_floats(N * K, rng);
    const auto scales = testing::random_floats(N, rng);
    std::vector<uint64_t> A(static_cast<size_t>(M * words)), B(static_cast<size_t>(N * words));
    reference::pack_signs(a.data(), M, K, K, A.data());
    reference::pack_signs(b.data(), N, K, K, B.data());
    auto da = on_device(a), db = on_device(b), dscales = on_device(scales);
    cuda::DeviceBuffer<uint64_t> dA(A.size()), dB(B.size());
    cuda::pack_signs(da.get(), M, K, K, dA.get(), nullptr);
    cuda::pack_signs(db.get(), N, K, K, dB.get(), nullptr);
    ASSERT_EQ(to_host(dA, dA.size()), A);
    ASSERT_EQ(to_host(dB, dB.size()), B);

    std::vector<int32_t> want(static_cast<size_t>(M * N));
    reference::bgemm_binary(A.data(), M, B.data(), N, K, want.data(), N);
    cuda::DeviceBuffer<int32_t> dC(want.size());
    cuda::bgemm_binary(dA.get(), M, dB.get(), N, K, dC.get(), N, nullptr);
    ASSERT_EQ(to_host(dC, dC.size()), want) << M << "x" << N << "x" << K;

    std::vector<float> wantf(static_cast<size_t>(M * N));
    reference::bgemm_float_binary(a.data(), M, K, B.data(), N, K, scales.data(), wantf.data(), N);
    cuda::DeviceBuffer<float> dY(wantf.size());
    cuda::bgemm_float_binary(da.get(), M, K, dB.get(), N, K, dscales.get(), dY.get(), N, nullptr);
    const auto got = to_host(dY, dY.size());
    for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], wantf[i], 1e-4 * std::sqrt(double(K)) + 1e-5) << i;
  }
}

TEST(CudaKernels, BsgemmMatchesReference) {
  SKIP_WITHOUT_DEVICE();
  Rng rng(2);
  struct Case {
    int64_t M, N, K;
    int br, bc, bits, ratio;
  };
  const Case cases[] = {{1, 1, 1, 8, 8, 1, 1},        {1, 7, 33, 8, 8, 2, 2},      {7, 33, 7, 16, 8, 3, 1},
                        {13, 100, 784, 8, 16, 4, 4},  {100, 10, 1000, 32, 4, 8, 8}, {33, 64, 64, 64, 64, 1, 1},
                        {1000, 129, 70, 8, 8, 3, 16}, {9, 40, 130, 24, 40, 2, 2},  {17, 48, 200, 8, 8, 5, 4},
                        {5, 30, 90, 4, 8, 6, 2},      {64, 64, 128, 8, 8, 7, 8}};
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.M << "x" << c.N << "x" << c.K << " block " << c.br << "x" << c.bc);
    const auto codes = testing::random_codes(c.N * c.K, c.bits, rng);
    const auto mask = testing::random_block_mask(c.N, c.K, c.br, c.bc, c.ratio, rng);
    const auto scales = testing::random_floats(c.N, rng);
    const BsrWeights w = bsr_pack(codes.data(), mask.data(), c.N, c.K, c.br, c.bc, c.bits, scales.data());
    const auto X = testing::random_floats(c.M * c.K, rng), dY = testing::random_floats(c.M * c.N, rng);
    const cuda::DeviceBsr dw = cuda::upload_bsr(w, nullptr);
    auto dX = on_device(X), ddY = on_device(dY);
    const double tol = 1e-4;

    std::vector<float> y(static_cast<size_t>(c.M * c.N));
    reference::bsgemm_forward(X.data(), c.M, c.K, w, y.data(), c.N);
    cuda::DeviceBuffer<float> out_y(y.size());
    cuda::bsgemm_forward(dX.get(), c.M, c.K, dw, out_y.get(), c.N, nullptr);
    const auto gy = to_host(out_y, out_y.size());
    for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(gy[i], y[i], tol * (8 * std::sqrt(double(c.K)) + 1)) << i;

    std::vector<float> dx(static_cast<size_t>(c.M * c.K));
    reference::bsgemm_backward_input(dY.data(), c.M, c.N, w, dx.data(), c.K);
    cuda::DeviceBuffer<float> out_dx(dx.size());
    cuda::bsgemm_backward_input(ddY.get(), c.M, c.N, dw, out_dx.get(), c.K, nullptr);
    const auto gdx = to_host(out_dx, out_dx.size());
    for (size_t i = 0; i < dx.size(); ++i) ASSERT_NEAR(gdx[i], dx[i], tol * (8 * std::sqrt(double(c.N)) + 1)) << i;

    std::vector<float> dwant(static_cast<size_t>(w.layout.kept_blocks() * w.layout.block_elems()));
    reference::bsgemm_backward_weight(dY.data(), c.M, c.N, X.data(), c.K, w.layout, dwant.data());
    cuda::DeviceBuffer<float> out_dw(std::max<size_t>(dwant.size(), 1));
    cuda::bsgemm_backward_weight(ddY.get(), c.M, c.N, dX.get(), c.K, dw, out_dw.get(), nullptr);
    std::vector<float> gdw(out_dw.size());
    out_dw.download(gdw.data(), gdw.size());
    for (size_t i = 0; i < dwant.size(); ++i) ASSERT_NEAR(gdw[i], dwant[i], tol * (std::sqrt(double(c.M)) + 1)) << i;
  }
}
#endif  // BITBLOCK_HAS_CUDA

}  // namespace
}  // namespace bitblock::kernels
