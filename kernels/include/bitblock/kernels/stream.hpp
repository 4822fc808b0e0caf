#pragma once
// The CUDA stream type, declared without the CUDA headers so that every op header can name the
// CUDA version of its kernels (namespace kernels::cuda) in any build. Those functions are
// defined only where CUDA is compiled (BITBLOCK_HAS_CUDA); CPU-only code never calls them.
struct CUstream_st;
using cudaStream_t = CUstream_st*;
