// The autotuner's per-product choice (cuda_choice.hpp). Empty in a CPU-only build.
#ifdef BITBLOCK_HAS_CUDA
#include "bitblock/kernels/cuda_choice.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>

#include "bitblock/kernels/cuda_check.hpp"
#include "bitblock/kernels/device_memory.hpp"
#include "bitblock/kernels/result_check.hpp"

namespace bitblock::kernels::cuda {
namespace {

std::vector<float> fetch(const float* p, size_t n, cudaStream_t stream) {
  std::vector<float> v(n);
  download(v.data(), p, n * sizeof(float), stream);
  return v;
}

}  // namespace

double time_on_stream(cudaStream_t stream, const std::function<void()>& fn, int reps) {
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  fn();
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    CUDA_CHECK(cudaEventRecord(start, stream));
    fn();
    CUDA_CHECK(cudaEventRecord(stop, stream));
    CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0.0f;
    CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    best = std::min(best, double(ms) * 1e-3);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return best;
}

ProductChoice choose_product(const std::vector<ProductCandidate>& candidates, const float* magnitude, size_t n,
                             int64_t depth, const std::string& pinned, cudaStream_t stream) {
  ProductChoice c;
  if (candidates.empty()) return c;
  DeviceBuffer<float> ref_out(std::max<size_t>(n, 1)), out(std::max<size_t>(n, 1));
  candidates.back().run(ref_out.get());
  const std::vector<float> ref = fetch(ref_out.get(), n, stream), mag = fetch(magnitude, n, stream);
  c.pick = candidates.size() - 1;
  double best = 1e30;
  char buf[128];
  for (size_t i = 0; i < candidates.size(); ++i) {
    const ProductCandidate& cand = candidates[i];
    CandidateOutcome o;
    o.name = cand.name;
    try {
      if (i + 1 < candidates.size()) {
        cand.run(out.get());
        const std::vector<float> got = fetch(out.get(), n, stream);
        const ResultCheck r =
            check_result(got.data(), ref.data(), mag.data(), n, product_rel_bound(cand.operand_rounding, depth));
        o.worst = r.worst;
        o.accepted = r.accepted;
      } else {
        o.accepted = true;
      }
      o.ran = true;
      if (o.accepted) o.seconds = time_on_stream(stream, [&] { cand.run(out.get()); });
    } catch (const std::exception&) {
      cudaGetLastError();  // a failed launch leaves no sticky error behind
      o.ran = o.accepted = false;
    }
    if (!o.ran) {
      std::snprintf(buf, sizeof buf, " %s failed", o.name.c_str());
    } else if (!o.accepted) {
      std::snprintf(buf, sizeof buf, " %s wrong (err %.3g of bound)", o.name.c_str(), o.worst);
    } else if (i + 1 < candidates.size()) {
      std::snprintf(buf, sizeof buf, " %s %.1f us (err %.3g of bound)", o.name.c_str(), o.seconds * 1e6, o.worst);
    } else {
      std::snprintf(buf, sizeof buf, " %s %.1f us (reference)", o.name.c_str(), o.seconds * 1e6);
    }
    c.log += buf;
    if (o.accepted && (pinned.empty() ? o.seconds < best : o.name == pinned)) {
      best = o.seconds;
      c.pick = i;
    }
    c.outcomes.push_back(o);
  }
  c.log += " -> " + candidates[c.pick].name;
  return c;
}

}  // namespace bitblock::kernels::cuda
#endif  // BITBLOCK_HAS_CUDA
