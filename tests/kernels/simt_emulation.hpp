#pragma once
// A CPU stand-in for a CUDA launch of a kernel body written over a thread-operations policy
// (bitblock/kernels/tc_binary_body.hpp, tc_product_body.hpp, tc_wgrad_body.hpp): every thread of
// a CTA runs the body as a fiber (ucontext), switched cooperatively at barriers, so the body runs
// per thread as on the device. The warp instructions gather what all 32 lanes hand in and give
// each lane its part, from the PTX tables (mma_fragments.hpp): ldmatrix reads the rows the lanes
// address, mma multiplies the fragments (in double, then added to the lane's fp32 / s32
// accumulators), shuffles read the source lane's value. cp.async copies at once (its waits are
// no-ops); __syncthreads is a barrier of the CTA's fibers. A barrier some thread never reaches is
// reported, not waited on forever.
#include <gtest/gtest.h>
#include <ucontext.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <vector>

#include "bitblock/kernels/mma_fragments.hpp"
#include "kernels/bf16_emulation.hpp"

namespace bitblock::kernels::testing {

class SimtCta;

// The policy the bodies see: one emulated thread.
class SimtThread {
 public:
  SimtThread(SimtCta& cta, int thread) : cta_(&cta), thread_(thread) {}

  int thread() const { return thread_; }
  int64_t block_x() const;
  int64_t block_y() const;
  int threads() const;
  unsigned char* smem() const;
  void sync() const;

  void ldmatrix_x4(uint32_t (&r)[4], const void* row) const { ldmatrix<4>(r, row, false); }
  void ldmatrix_x2(uint32_t (&r)[2], const void* row) const { ldmatrix<2>(r, row, false); }
  void ldmatrix_x4_trans(uint32_t (&r)[4], const void* row) const { ldmatrix<4>(r, row, true); }
  void ldmatrix_x2_trans(uint32_t (&r)[2], const void* row) const { ldmatrix<2>(r, row, true); }
  void mma_bf16_m16n8k8(float (&d)[4], uint32_t a0, uint32_t a1, uint32_t b0) const;
  void mma_bf16_m16n8k16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) const;
  void mma_s8_m16n8k32(int (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) const;
  void mma_b1_and_m16n8k256(int (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) const;
  int shfl_xor(int v, int lane_mask) const;
  int shfl(int v, int src_lane) const;

  void cp_async_8(void* dst, const void* src, int src_bytes) const {
    std::memset(dst, 0, 8);
    std::memcpy(dst, src, static_cast<size_t>(src_bytes));
  }
  void cp_async_commit() const {}
  template <int kPending>
  void cp_async_wait() const {}

  template <typename V>
  V load(const V* p) const {
    return *p;
  }
  void load4(const float* p, float (&v)[4]) const { std::memcpy(v, p, sizeof v); }
  template <typename V>
  void store2(V* p, V v0, V v1) const {
    p[0] = v0;
    p[1] = v1;
  }
  void store_shared_16(void* p, int v0, int v1, int v2, int v3) const {
    const int v[4] = {v0, v1, v2, v3};
    std::memcpy(p, v, sizeof v);
  }
  void load_shared_16(const void* p, int (&v)[4]) const { std::memcpy(v, p, sizeof v); }
  void store_shared_8(void* p, uint32_t lo, uint32_t hi) const {
    const uint32_t v[2] = {lo, hi};
    std::memcpy(p, v, sizeof v);
  }
  uint32_t bf16x2(float lo, float hi) const { return testing::bf16x2(lo, hi); }
  uint32_t sign_pair_operand(uint32_t field) const { return code_pair_operand(field, 1); }
  int popc(uint32_t v) const { return __builtin_popcount(v); }
  void prefetch_l1(const void*) const {}
  // The B operand of a k-bit code pair field (bf16_emulation.hpp's code_pair_operand).
  struct CodePairs {
    int bits;
    template <bool kWide>
    uint32_t expand(uint32_t field) const {
      return code_pair_operand(field, bits);
    }
  };
  CodePairs code_pairs(int bits) const { return {bits}; }

 private:
  template <int N>
  void ldmatrix(uint32_t (&r)[N], const void* row, bool trans) const;

  SimtCta* cta_;
  int thread_;
};

// What one lane hands to a warp instruction.
struct LanePost {
  const unsigned char* row = nullptr;  // ldmatrix
  uint32_t a[4] = {}, b[2] = {};       // mma
  int value = 0;                       // shuffles
};

class SimtCta {
 public:
  SimtCta(int threads, size_t smem_bytes)
      : threads_(threads), smem_(smem_bytes + 16), fibers_(static_cast<size_t>(threads)),
        warp_barriers_(static_cast<size_t>((threads + 31) / 32)), posts_(warp_barriers_.size()) {
    cta_barrier_.size = threads;
    for (size_t w = 0; w < warp_barriers_.size(); ++w)
      warp_barriers_[w].size = std::min(32, threads - static_cast<int>(w) * 32);
    for (Fiber& f : fibers_) f.stack.resize(kStackBytes);
  }

  // Runs body(thread) for every thread of CTA (bx, by); false when the threads stopped at
  // barriers they cannot all reach.
  bool run(int64_t bx, int64_t by, const std::function<void(const SimtThread&)>& body) {
    bx_ = bx;
    by_ = by;
    body_ = &body;
    std::fill(smem_.begin(), smem_.end(), static_cast<unsigned char>(0xa5));  // stale contents
    for (int i = 0; i < threads_; ++i) {
      Fiber& f = fibers_[static_cast<size_t>(i)];
      f.done = false;
      getcontext(&f.ctx);
      f.ctx.uc_stack.ss_sp = f.stack.data();
      f.ctx.uc_stack.ss_size = f.stack.size();
      f.ctx.uc_link = &scheduler_;
      makecontext(&f.ctx, &SimtCta::entry, 0);
    }
    for (;;) {
      bool all_done = true;
      progress_ = false;
      for (current_ = 0; current_ < threads_; ++current_) {
        if (fibers_[static_cast<size_t>(current_)].done) continue;
        all_done = false;
        running_ = this;
        swapcontext(&scheduler_, &fibers_[static_cast<size_t>(current_)].ctx);
      }
      if (all_done) return true;
      if (!progress_) return false;
    }
  }

 private:
  friend class SimtThread;
  static constexpr size_t kStackBytes = 64 * 1024;

  struct Fiber {
    ucontext_t ctx;
    std::vector<char> stack;
    bool done = false;
  };
  struct Barrier {
    int size = 0, arrived = 0;
    uint64_t generation = 0;
  };

  static inline SimtCta* running_ = nullptr;
  static void entry() {
    SimtCta* c = running_;
    const int i = c->current_;
    (*c->body_)(SimtThread(*c, i));
    c->fibers_[static_cast<size_t>(i)].done = true;
    c->progress_ = true;
  }  // returns to the scheduler through uc_link

  void yield() { swapcontext(&fibers_[static_cast<size_t>(current_)].ctx, &scheduler_); }
  void arrive_and_wait(Barrier& b) {
    progress_ = true;
    const uint64_t mine = b.generation;
    if (++b.arrived == b.size) {
      b.arrived = 0;
      ++b.generation;
      return;
    }
    while (b.generation == mine) yield();
  }
  // A warp instruction: every lane hands in `post`, then reads all 32. Two slots by generation:
  // a lane can hand in its next post only after every lane has reached this one's barrier.
  const std::array<LanePost, 32>& exchange(int thread, const LanePost& post) {
    const size_t w = static_cast<size_t>(thread / 32);
    Barrier& b = warp_barriers_[w];
    std::array<LanePost, 32>& slot = posts_[w][b.generation & 1];
    slot[static_cast<size_t>(thread % 32)] = post;
    arrive_and_wait(b);
    return slot;
  }

  int threads_;
  std::vector<unsigned char> smem_;
  std::vector<Fiber> fibers_;
  Barrier cta_barrier_;
  std::vector<Barrier> warp_barriers_;
  std::vector<std::array<std::array<LanePost, 32>, 2>> posts_;
  ucontext_t scheduler_{};
  int current_ = 0;
  bool progress_ = false;
  int64_t bx_ = 0, by_ = 0;
  const std::function<void(const SimtThread&)>* body_ = nullptr;
};

inline int64_t SimtThread::block_x() const { return cta_->bx_; }
inline int64_t SimtThread::block_y() const { return cta_->by_; }
inline unsigned char* SimtThread::smem() const {
  // 16-byte aligned, as __align__(16) shared memory is.
  const auto p = reinterpret_cast<uintptr_t>(cta_->smem_.data());
  return cta_->smem_.data() + ((16 - p % 16) % 16);
}
inline void SimtThread::sync() const { cta_->arrive_and_wait(cta_->cta_barrier_); }

inline int SimtThread::threads() const { return cta_->threads_; }

// ldmatrix.m8n8.x{N}{.trans}.b16: lanes 0 .. 8 N - 1 address the rows.
template <int N>
void SimtThread::ldmatrix(uint32_t (&r)[N], const void* row, bool trans) const {
  LanePost post;
  post.row = static_cast<const unsigned char*>(row);
  const auto& lanes = cta_->exchange(thread_, post);
  const int lane = thread_ % 32;
  for (int j = 0; j < N; ++j) {
    r[j] = 0;
    for (int h = 0; h < 2; ++h) {
      const mma::LdmatrixSource s = mma::ldmatrix_source(lane, j, h, trans);
      uint16_t v;
      std::memcpy(&v, lanes[static_cast<size_t>(s.address_lane)].row + 2 * s.element, 2);
      r[j] |= static_cast<uint32_t>(v) << (16 * h);
    }
  }
}

inline void SimtThread::mma_bf16_m16n8k16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) const {
  LanePost post;
  std::memcpy(post.a, a, sizeof post.a);
  post.b[0] = b0;
  post.b[1] = b1;
  const auto& lanes = cta_->exchange(thread_, post);
  double A[16][16] = {}, B[16][8] = {};
  for (int l = 0; l < 32; ++l) {
    for (int i = 0; i < 8; ++i) {
      const mma::FragPos q = mma::m16n8k16_a(l, i);
      A[q.row][q.col] = bf16_half(lanes[static_cast<size_t>(l)].a[i / 2], i % 2);
    }
    for (int i = 0; i < 4; ++i) {
      const mma::FragPos q = mma::m16n8k16_b(l, i);
      B[q.row][q.col] = bf16_half(lanes[static_cast<size_t>(l)].b[i / 2], i % 2);
    }
  }
  for (int i = 0; i < 4; ++i) {
    const mma::FragPos q = mma::m16n8_c(thread_ % 32, i);
    double sum = d[i];
    for (int k = 0; k < 16; ++k) sum += A[q.row][k] * B[k][q.col];
    d[i] = static_cast<float>(sum);
  }
}

inline void SimtThread::mma_bf16_m16n8k8(float (&d)[4], uint32_t a0, uint32_t a1, uint32_t b0) const {
  LanePost post;
  post.a[0] = a0;
  post.a[1] = a1;
  post.b[0] = b0;
  const auto& lanes = cta_->exchange(thread_, post);
  double A[16][8] = {}, B[8][8] = {};
  for (int l = 0; l < 32; ++l) {
    for (int i = 0; i < 4; ++i) {
      const mma::FragPos q = mma::m16n8k8_a(l, i);
      A[q.row][q.col] = bf16_half(lanes[static_cast<size_t>(l)].a[i / 2], i % 2);
    }
    for (int i = 0; i < 2; ++i) {
      const mma::FragPos q = mma::m16n8k8_b(l, i);
      B[q.row][q.col] = bf16_half(lanes[static_cast<size_t>(l)].b[0], i);
    }
  }
  for (int i = 0; i < 4; ++i) {
    const mma::FragPos q = mma::m16n8_c(thread_ % 32, i);
    double sum = d[i];
    for (int k = 0; k < 8; ++k) sum += A[q.row][k] * B[k][q.col];
    d[i] = static_cast<float>(sum);
  }
}

inline void SimtThread::mma_s8_m16n8k32(int (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) const {
  LanePost post;
  std::memcpy(post.a, a, sizeof post.a);
  post.b[0] = b0;
  post.b[1] = b1;
  const auto& lanes = cta_->exchange(thread_, post);
  int A[16][32] = {}, B[32][8] = {};
  for (int l = 0; l < 32; ++l) {
    for (int i = 0; i < 16; ++i) {
      const mma::FragPos q = mma::m16n8k32_s8_a(l, i);
      A[q.row][q.col] = static_cast<int8_t>(lanes[static_cast<size_t>(l)].a[i / 4] >> (8 * (i % 4)));
    }
    for (int i = 0; i < 8; ++i) {
      const mma::FragPos q = mma::m16n8k32_s8_b(l, i);
      B[q.row][q.col] = static_cast<int8_t>(lanes[static_cast<size_t>(l)].b[i / 4] >> (8 * (i % 4)));
    }
  }
  for (int i = 0; i < 4; ++i) {
    const mma::FragPos q = mma::m16n8_c(thread_ % 32, i);
    for (int k = 0; k < 32; ++k) d[i] += A[q.row][k] * B[k][q.col];
  }
}

inline void SimtThread::mma_b1_and_m16n8k256(int (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) const {
  LanePost post;
  std::memcpy(post.a, a, sizeof post.a);
  post.b[0] = b0;
  post.b[1] = b1;
  const auto& lanes = cta_->exchange(thread_, post);
  static thread_local int A[16][256], B[256][8];
  for (int l = 0; l < 32; ++l) {
    for (int i = 0; i < 128; ++i) {
      const mma::FragPos q = mma::m16n8k256_b1_a(l, i);
      A[q.row][q.col] = static_cast<int>((lanes[static_cast<size_t>(l)].a[i / 32] >> (i % 32)) & 1u);
    }
    for (int i = 0; i < 64; ++i) {
      const mma::FragPos q = mma::m16n8k256_b1_b(l, i);
      B[q.row][q.col] = static_cast<int>((lanes[static_cast<size_t>(l)].b[i / 32] >> (i % 32)) & 1u);
    }
  }
  for (int i = 0; i < 4; ++i) {
    const mma::FragPos q = mma::m16n8_c(thread_ % 32, i);
    for (int k = 0; k < 256; ++k) d[i] += A[q.row][k] & B[k][q.col];
  }
}

inline int SimtThread::shfl_xor(int v, int lane_mask) const {
  LanePost post;
  post.value = v;
  return cta_->exchange(thread_, post)[static_cast<size_t>((thread_ % 32) ^ lane_mask)].value;
}
inline int SimtThread::shfl(int v, int src_lane) const {
  LanePost post;
  post.value = v;
  return cta_->exchange(thread_, post)[static_cast<size_t>(src_lane)].value;
}

// A launch of grid_x x grid_y CTAs of `threads` threads, one CTA after another.
inline void simt_launch(int64_t grid_x, int64_t grid_y, int threads, size_t smem_bytes,
                        const std::function<void(const SimtThread&)>& body) {
  SimtCta cta(threads, smem_bytes);
  for (int64_t y = 0; y < grid_y; ++y)
    for (int64_t x = 0; x < grid_x; ++x)
      if (!cta.run(x, y, body)) ADD_FAILURE() << "CTA (" << x << ", " << y << "): threads stopped at barriers";
}

}  // namespace bitblock::kernels::testing
