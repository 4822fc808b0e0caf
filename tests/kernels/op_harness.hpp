#pragma once
// The harness of the training-op tests, in the pattern of ggml's test-backend-ops: one case per
// op and parameter set makes its inputs from a seed and runs the op on one implementation
// (the plain reference, the optimized CPU path, or CUDA); the test compares the outputs of the
// optimized CPU path (on every ISA the CPU has) with the reference (kernels' reference:: loops, or
// for the weight products a loop written in the test itself), and those of CUDA with the
// CPU path on the device (skipped without one), each within the tolerance the op states (0:
// bit for bit). Inputs and outputs travel through an Arena, which holds them where the
// implementation runs (host vectors, or device memory for CUDA).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/isa_guard.hpp"
#ifdef BITBLOCK_HAS_CUDA
#include "bitblock/kernels/cuda.hpp"
#endif

namespace bitblock::kernels::testing {

enum class Impl { Reference, Cpu, Cuda };

inline bool cuda_usable() {
#ifdef BITBLOCK_HAS_CUDA
  return cuda::device_available();
#else
  return false;
#endif
}

// Calls reference::fn, fn or cuda::fn(..., stream 0) by implementation.
#ifdef BITBLOCK_HAS_CUDA
#define BB_CUDA_CALL(call) call
#else
#define BB_CUDA_CALL(call) throw std::logic_error("CPU-only build")
#endif
// The optimized paths only (CPU or CUDA), for cases whose reference is a loop in the test.
#define BB_DISPATCH_OPTIMIZED(impl, fn, ...)                                    \
  do {                                                                         \
    if ((impl) == ::bitblock::kernels::testing::Impl::Cuda) {                  \
      BB_CUDA_CALL(::bitblock::kernels::cuda::fn(__VA_ARGS__, nullptr));       \
    } else if ((impl) == ::bitblock::kernels::testing::Impl::Cpu) {            \
      ::bitblock::kernels::fn(__VA_ARGS__);                                    \
    } else {                                                                   \
      throw std::logic_error(#fn ": the case computes its reference itself");  \
    }                                                                          \
  } while (0)
#define BB_DISPATCH(impl, fn, ...)                                 \
  do {                                                             \
    switch (impl) {                                                \
      case ::bitblock::kernels::testing::Impl::Reference:          \
        ::bitblock::kernels::reference::fn(__VA_ARGS__);           \
        break;                                                     \
      case ::bitblock::kernels::testing::Impl::Cpu:                \
        ::bitblock::kernels::fn(__VA_ARGS__);                      \
        break;                                                     \
      case ::bitblock::kernels::testing::Impl::Cuda:               \
        BB_CUDA_CALL(::bitblock::kernels::cuda::fn(__VA_ARGS__, nullptr)); \
        break;                                                     \
    }                                                              \
  } while (0)

// Buffers of one run, where the implementation runs.
class Arena {
 public:
  explicit Arena(Impl impl) : device_(impl == Impl::Cuda) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() {
#ifdef BITBLOCK_HAS_CUDA
    for (void* p : device_blocks_) cudaFree(p);
#endif
  }

  // A copy of host values.
  template <typename T>
  T* put(const std::vector<T>& v) {
    T* p = alloc<T>(v.size());
    copy_in(p, v.data(), v.size() * sizeof(T));
    return p;
  }
  template <typename T>
  T* put_value(const T& v) {
    return put(std::vector<T>{v});
  }
  template <typename T>
  std::vector<T> get(const T* p, size_t n) const {
    std::vector<T> v(n);
    copy_out(v.data(), p, n * sizeof(T));
    return v;
  }

 private:
  template <typename T>
  T* alloc(size_t n) {
    const size_t bytes = std::max<size_t>(n * sizeof(T), 1);
#ifdef BITBLOCK_HAS_CUDA
    if (device_) {
      void* p = nullptr;
      CUDA_CHECK(cudaMalloc(&p, bytes));
      device_blocks_.push_back(p);
      return static_cast<T*>(p);
    }
#endif
    host_blocks_.push_back(std::make_unique<std::vector<char>>(bytes));
    return reinterpret_cast<T*>(host_blocks_.back()->data());
  }
  void copy_in(void* dst, const void* src, size_t bytes) {
    if (bytes == 0) return;
#ifdef BITBLOCK_HAS_CUDA
    if (device_) {
      CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
      return;
    }
#endif
    std::memcpy(dst, src, bytes);
  }
  void copy_out(void* dst, const void* src, size_t bytes) const {
    if (bytes == 0) return;
#ifdef BITBLOCK_HAS_CUDA
    if (device_) {
      CUDA_CHECK(cudaDeviceSynchronize());
      CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
      return;
    }
#endif
    std::memcpy(dst, src, bytes);
  }

  bool device_;
  std::vector<std::unique_ptr<std::vector<char>>> host_blocks_;
  std::vector<void*> device_blocks_;
};

// One named output as doubles (exact for float, int and double values up to 2^53).
struct Output {
  std::string name;
  std::vector<double> values;
};
template <typename T>
Output output(std::string name, const std::vector<T>& v) {
  return {std::move(name), std::vector<double>(v.begin(), v.end())};
}

struct OpCase {
  virtual ~OpCase() = default;
  virtual std::string name() const = 0;
  virtual std::vector<Output> run(Impl impl) const = 0;
  // |got - want| <= tol * max(1, |want|); 0 = equal values.
  virtual double cpu_tolerance() const { return 0.0; }
  virtual double cuda_tolerance() const { return 0.0; }
  // False for ops with no CUDA version (check_cuda passes over them).
  virtual bool on_cuda() const { return true; }
};

inline void expect_outputs_match(const std::vector<Output>& got, const std::vector<Output>& want, double tol,
                                 const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t o = 0; o < got.size(); ++o) {
    ASSERT_EQ(got[o].values.size(), want[o].values.size()) << what << " " << got[o].name;
    int failures = 0;
    for (size_t i = 0; i < got[o].values.size() && failures < 5; ++i) {
      const double g = got[o].values[i], w = want[o].values[i];
      const bool ok = tol == 0.0 ? (g == w || (std::isnan(g) && std::isnan(w)))
                                 : std::fabs(g - w) <= tol * std::max(1.0, std::fabs(w));
      if (!ok) {
        ++failures;
        ADD_FAILURE() << what << ": " << got[o].name << "[" << i << "] = " << g << ", expected " << w
                      << (tol == 0.0 ? " (bit for bit)" : " (tolerance " + std::to_string(tol) + ")");
      }
    }
  }
}

// The CPU path on every ISA against the reference.
inline void check_cpu(const OpCase& c) {
  SCOPED_TRACE(c.name());
  const std::vector<Output> want = c.run(Impl::Reference);
  for_each_isa([&](Isa) { expect_outputs_match(c.run(Impl::Cpu), want, c.cpu_tolerance(), c.name() + " cpu"); });
}

// CUDA against the CPU path (the caller skips without a device).
inline void check_cuda(const OpCase& c) {
  if (!c.on_cuda()) return;
  SCOPED_TRACE(c.name());
  expect_outputs_match(c.run(Impl::Cuda), c.run(Impl::Cpu), c.cuda_tolerance(), c.name() + " cuda");
}

}  // namespace bitblock::kernels::testing
