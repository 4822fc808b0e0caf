#include "bitblock/hwsim/datapath.hpp"

#include <algorithm>

#include "bitblock/model/ops.hpp"

namespace bitblock::hwsim {

namespace {

// Images per batch; the batch is the innermost (vectorised) loop of the accumulation.
constexpr int64_t kBatch = 128;

// Kept blocks decoded once: what the lanes see after the weight SRAM word buffer.
struct DecodedStage {
  std::vector<int16_t> codes;  // kept x block_elems
};

DecodedStage decode(const model::Stage& s) {
  const kernels::BsrLayout& l = s.weights.layout;
  DecodedStage d;
  d.codes.resize(static_cast<size_t>(l.kept_blocks() * l.block_elems()));
  std::vector<int8_t> block(static_cast<size_t>(l.block_elems()));
  for (int64_t b = 0; b < l.kept_blocks(); ++b) {
    kernels::bsr_decode_block(s.weights, b, block.data());
    std::copy(block.begin(), block.end(), d.codes.begin() + b * l.block_elems());
  }
  return d;
}

// acc (N x M) += codes x XT (K x M), walking kept blocks in CSR order.
void accumulate(const model::Stage& s, const DecodedStage& d, const int16_t* xt, int64_t M, int32_t* acc) {
  const kernels::BsrLayout& l = s.weights.layout;
  std::fill(acc, acc + l.rows * M, 0);
  for (int64_t i = 0; i < l.num_block_rows(); ++i) {
    const int rows_in = l.rows_in_block_row(i);
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
      const int64_t j = l.block_col_idx[b];
      const int cols_in = l.cols_in_block_col(j);
      const int16_t* blk = d.codes.data() + int64_t{b} * l.block_elems();
      for (int r = 0; r < rows_in; ++r) {
        int32_t* a = acc + (i * l.block_rows + r) * M;
        for (int c = 0; c < cols_in; ++c) {
          const int32_t w = blk[r * l.block_cols + c];
          if (w == 0) continue;
          const int16_t* x = xt + (j * l.block_cols + c) * M;
          for (int64_t m = 0; m < M; ++m) a[m] += w * x[m];
        }
      }
    }
  }
}

}  // namespace

DatapathResult run_datapath(const model::Network& net, const uint8_t* images, int64_t count,
                            const StageInputObserver& observe, std::vector<std::vector<int16_t>>* out_codes) {
  DatapathResult r;
  r.classes.resize(static_cast<size_t>(count));
  r.logits.resize(static_cast<size_t>(count * net.num_classes));
  std::vector<DecodedStage> decoded;
  for (const model::Stage& s : net.stages) decoded.push_back(decode(s));
  std::vector<int16_t> x, y, xt, cols;
  std::vector<int32_t> acc, acc_img;
  for (int64_t first = 0; first < count; first += kBatch) {
    const int64_t B = std::min(kBatch, count - first);
    x.resize(static_cast<size_t>(B * net.input.size()));
    model::input_codes(net.input_mode, images + first * net.input.size(), B * net.input.size(), x.data());
    for (size_t k = 0; k < net.stages.size(); ++k) {
      const model::Stage& s = net.stages[k];
      const int64_t K = s.weights.layout.cols, N = s.weights.layout.rows, P = s.positions(), M = B * P;
      xt.resize(static_cast<size_t>(K * M));
      if (s.op == model::OpKind::Dense) {
        for (int64_t b = 0; b < B; ++b)
          for (int64_t kk = 0; kk < K; ++kk) xt[static_cast<size_t>(kk * M + b)] = x[static_cast<size_t>(b * K + kk)];
      } else {
        cols.resize(static_cast<size_t>(P * K));
        for (int64_t b = 0; b < B; ++b) {
          model::im2col(s, x.data() + b * s.input.size(), cols.data());
          for (int64_t p = 0; p < P; ++p)
            for (int64_t kk = 0; kk < K; ++kk) xt[static_cast<size_t>(kk * M + b * P + p)] = cols[static_cast<size_t>(p * K + kk)];
        }
      }
      if (observe)
        for (int64_t b = 0; b < B; ++b) observe(k, first + b, xt.data() + b * P, M);
      acc.resize(static_cast<size_t>(N * M));
      accumulate(s, decoded[k], xt.data(), M, acc.data());
      const bool last = k + 1 == net.stages.size();
      const int64_t out_size = s.output_shape().size();
      if (!last) y.resize(static_cast<size_t>(B * out_size));
      acc_img.resize(static_cast<size_t>(N * P));
      for (int64_t b = 0; b < B; ++b) {
        for (int64_t n = 0; n < N; ++n)
          for (int64_t p = 0; p < P; ++p) acc_img[static_cast<size_t>(n * P + p)] = acc[static_cast<size_t>(n * M + b * P + p)];
        model::finish_stage(s, acc_img.data(), last ? nullptr : y.data() + b * out_size,
                            last ? r.logits.data() + (first + b) * out_size : nullptr);
      }
      if (!last && out_codes) {
        out_codes->resize(net.stages.size() - 1);
        (*out_codes)[k].insert((*out_codes)[k].end(), y.begin(), y.begin() + B * out_size);
      }
      if (!last) x.swap(y);
    }
    for (int64_t i = first; i < first + B; ++i)
      r.classes[static_cast<size_t>(i)] = model::argmax(r.logits.data() + i * net.num_classes, net.num_classes);
  }
  return r;
}

}  // namespace bitblock::hwsim
