#include "bitblock/model/infer.hpp"

#include <algorithm>
#include <optional>

#include "bitblock/kernels/bgemm_blocks.hpp"
#include "bitblock/model/ops.hpp"

namespace bitblock::model {

namespace {

// The product of a stage: the binary GEMM where 1-bit weights meet sign codes (+-1, and 0 from a
// convolution's padding), bsgemm_int otherwise; the same integers either way.
void product(const Stage& s, const std::optional<kernels::BinaryBlocks>& binary, const int16_t* x, int64_t M,
             int32_t* y) {
  const int64_t K = s.weights.layout.cols, N = s.weights.layout.rows;
  if (binary) {
    kernels::bgemm_sign_input_int(x, M, K, *binary, y, N);
  } else {
    kernels::bsgemm_int(x, M, K, s.weights, y, N);
  }
}

// Accumulators of one stage for `count` images (count x C x P, CHW per image).
void stage_accumulators(const Stage& s, const std::optional<kernels::BinaryBlocks>& binary, const int16_t* in,
                        int64_t count, std::vector<int32_t>& acc, std::vector<int16_t>& cols,
                        std::vector<int32_t>& tmp) {
  const int64_t K = s.weights.layout.cols, N = s.weights.layout.rows, P = s.positions();
  acc.resize(static_cast<size_t>(count * N * P));
  if (s.op == OpKind::Dense) {
    product(s, binary, in, count, acc.data());
    return;
  }
  cols.resize(static_cast<size_t>(P * K));
  tmp.resize(static_cast<size_t>(P * N));
  for (int64_t i = 0; i < count; ++i) {
    im2col(s, in + i * s.input.size(), cols.data());
    product(s, binary, cols.data(), P, tmp.data());
    int32_t* out = acc.data() + i * N * P;
    for (int64_t p = 0; p < P; ++p)
      for (int64_t n = 0; n < N; ++n) out[n * P + p] = tmp[static_cast<size_t>(p * N + n)];
  }
}

}  // namespace

int64_t inference_bytes_per_image(const Network& net) {
  int64_t acc = 0, codes = net.input.size();
  for (const Stage& s : net.stages) {
    acc = std::max(acc, s.pre_pool_shape().size());
    codes = std::max(codes, s.output_shape().size());
  }
  return acc * int64_t{sizeof(int32_t)} + 2 * codes * int64_t{sizeof(int16_t)};
}

InferenceResult run_inference(const Network& net, const uint8_t* images, int64_t count, std::vector<StageTrace>* trace,
                              int64_t batch) {
  const int64_t step = std::max<int64_t>(1, batch);
  InferenceResult r;
  r.classes.resize(static_cast<size_t>(count));
  r.logits.resize(static_cast<size_t>(count * net.num_classes));
  if (trace) {
    trace->assign(net.stages.size(), StageTrace{});
    for (size_t k = 0; k < net.stages.size(); ++k) {
      (*trace)[k].acc_shape = net.stages[k].pre_pool_shape();
      (*trace)[k].out_shape = net.stages[k].output_shape();
    }
  }
  std::vector<std::optional<kernels::BinaryBlocks>> binary(net.stages.size());
  for (size_t k = 0; k < net.stages.size(); ++k) {
    const CodeRange in = stage_input_range(net, k);
    if (net.stages[k].weights.bits == 1 && in.lo >= -1 && in.hi <= 1)
      binary[k] = kernels::binary_blocks_from_bsr(net.stages[k].weights);
  }
  std::vector<int16_t> x, y, cols;
  std::vector<int32_t> acc, tmp;
  for (int64_t first = 0; first < count; first += step) {
    const int64_t b = std::min(step, count - first);
    x.resize(static_cast<size_t>(b * net.input.size()));
    input_codes(net.input_mode, images + first * net.input.size(), b * net.input.size(), x.data());
    for (size_t k = 0; k < net.stages.size(); ++k) {
      const Stage& s = net.stages[k];
      stage_accumulators(s, binary[k], x.data(), b, acc, cols, tmp);
      const int64_t acc_size = s.pre_pool_shape().size(), out_size = s.output_shape().size();
      const bool last = k + 1 == net.stages.size();
      if (!last) y.resize(static_cast<size_t>(b * out_size));
      for (int64_t i = 0; i < b; ++i) {
        finish_stage(s, acc.data() + i * acc_size, last ? nullptr : y.data() + i * out_size,
                     last ? r.logits.data() + (first + i) * out_size : nullptr);
      }
      if (trace) {
        StageTrace& t = (*trace)[k];
        t.acc.insert(t.acc.end(), acc.begin(), acc.begin() + b * acc_size);
        if (last) {
          t.logits.insert(t.logits.end(), r.logits.begin() + first * out_size, r.logits.begin() + (first + b) * out_size);
        } else {
          t.codes.insert(t.codes.end(), y.begin(), y.end());
        }
      }
      if (!last) x.swap(y);
    }
    for (int64_t i = first; i < first + b; ++i)
      r.classes[static_cast<size_t>(i)] = argmax(r.logits.data() + i * net.num_classes, net.num_classes);
  }
  return r;
}

double accuracy(const std::vector<int32_t>& classes, const uint8_t* labels) {
  if (classes.empty()) return 0.0;
  int64_t right = 0;
  for (size_t i = 0; i < classes.size(); ++i) right += classes[i] == labels[i];
  return static_cast<double>(right) / static_cast<double>(classes.size());
}

}  // namespace bitblock::model
