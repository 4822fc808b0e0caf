#pragma once
// Host <-> device copies and the no-device skip of the CUDA kernel tests (CUDA builds only).
#ifdef BITBLOCK_HAS_CUDA
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "bitblock/kernels/cuda.hpp"

#define SKIP_WITHOUT_DEVICE() \
  if (!::bitblock::kernels::cuda::device_available()) GTEST_SKIP() << "no CUDA device"

namespace bitblock::kernels::testing {

// A device copy of v (at least one element, so empty inputs still have an address).
template <typename T>
cuda::DeviceBuffer<T> on_device(const std::vector<T>& v) {
  cuda::DeviceBuffer<T> d(std::max<size_t>(v.size(), 1));
  d.upload(v.data(), v.size());
  return d;
}
// The first n elements of d.
template <typename T>
std::vector<T> to_host(const cuda::DeviceBuffer<T>& d, size_t n) {
  std::vector<T> v(n);
  d.download(v.data(), n);
  return v;
}

}  // namespace bitblock::kernels::testing
#endif  // BITBLOCK_HAS_CUDA
