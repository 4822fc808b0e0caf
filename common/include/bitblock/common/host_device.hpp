#pragma once
// BITBLOCK_HD marks inline functions that host code and CUDA kernels share bit for bit (the k-bit
// quantizer, activation rounding, PCG32 steps): __host__ __device__ under nvcc, plain inline
// elsewhere.
#if defined(__CUDACC__)
#define BITBLOCK_HD __host__ __device__ __forceinline__
#else
#define BITBLOCK_HD inline
#endif
