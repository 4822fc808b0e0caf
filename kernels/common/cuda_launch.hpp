#pragma once
// Launch bookkeeping shared by the CUDA kernels (host side).
#ifdef BITBLOCK_HAS_CUDA
#include <cstddef>

namespace bitblock::kernels::cuda {

// CTAs of `kernel` that fit on one multiprocessor with `threads` threads and `smem` bytes of
// dynamic shared memory, after raising the kernel's dynamic shared-memory limit to smem. Both
// calls cost microseconds of host time, which would show in every launch of a small product: done
// once per kernel, device, block size and shared-memory size. At least 1.
int resident_ctas(const void* kernel, int threads, size_t smem);

}  // namespace bitblock::kernels::cuda
#endif  // BITBLOCK_HAS_CUDA
