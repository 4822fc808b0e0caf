#pragma once
// Launch bookkeeping shared by the CUDA kernels (host side).
#ifdef BITBLOCK_HAS_CUDA
#include <cstddef>

namespace bitblock::kernels::cuda {

// CTAs of `kernel` that fit on one multiprocessor of the current device with `threads` threads and
// `smem` bytes of dynamic shared memory, after raising the kernel's dynamic shared-memory limit to
// at least smem (never lowering it: launch_limits.hpp). Call it before every launch that needs more
// than the default 48 KiB. At least 1.
int resident_ctas(const void* kernel, int threads, size_t smem);

}  // namespace bitblock::kernels::cuda
#endif  // BITBLOCK_HAS_CUDA
