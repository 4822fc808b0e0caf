// Every per-step op of training (kernels/<op>/): the optimized CPU path against the reference on
// every ISA, and CUDA against the CPU path on the device, forward and backward, on edge shapes
// (ones, odd sizes, ragged blocks, overlapping windows, chunk boundaries). See op_harness.hpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "bitblock/common/rng.hpp"
#include "bitblock/kernels/activation.hpp"
#include "bitblock/kernels/batch.hpp"
#include "bitblock/kernels/batchnorm.hpp"
#include "bitblock/kernels/bias.hpp"
#include "bitblock/kernels/bsgemm.hpp"
#include "bitblock/kernels/constraint.hpp"
#include "bitblock/kernels/conv.hpp"
#include "bitblock/kernels/dropout.hpp"
#include "bitblock/kernels/elementwise.hpp"
#include "bitblock/kernels/gemm.hpp"
#include "bitblock/kernels/loss.hpp"
#include "bitblock/kernels/optimizer.hpp"
#include "bitblock/kernels/patches.hpp"
#include "bitblock/kernels/pool.hpp"
#include "bitblock/kernels/transpose.hpp"
#include "kernels/kernel_test_data.hpp"
#include "kernels/op_harness.hpp"

namespace bitblock::kernels::testing {
namespace {

std::vector<float> uniform(int64_t n, uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  Rng rng(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = rng.uniform(lo, hi);
  return v;
}

std::string dims(std::initializer_list<int64_t> d) {
  std::string s;
  for (int64_t v : d) s += (s.empty() ? "" : "x") + std::to_string(v);
  return s;
}

// --- gemm -------------------------------------------------------------------------------------

struct GemmCase : OpCase {
  bool ta, tb;
  int64_t m, n, k;
  float alpha, beta;
  std::vector<float> a, b, c;
  int64_t lda, ldb, ldc;
  GemmCase(bool ta_, bool tb_, int64_t m_, int64_t n_, int64_t k_, float alpha_, float beta_)
      : ta(ta_), tb(tb_), m(m_), n(n_), k(k_), alpha(alpha_), beta(beta_) {
    lda = (ta ? m : k) + 3;  // padded rows: leading dimensions are honoured
    ldb = (tb ? k : n) + 1;
    ldc = n + 2;
    a = uniform((ta ? k : m) * lda, 1);
    b = uniform((tb ? n : k) * ldb, 2);
    c = uniform(m * ldc, 3);
  }
  std::string name() const override {
    return "gemm " + std::string(ta ? "T" : "N") + (tb ? "T" : "N") + " " + dims({m, n, k}) + " alpha " +
           std::to_string(alpha) + " beta " + std::to_string(beta);
  }
  std::vector<Output> run(Impl impl) const override {
    Arena mem(impl);
    const float* pa = mem.put(a);
    const float* pb = mem.put(b);
    float* pc = mem.put(c);
    BB_DISPATCH(impl, gemm, ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    return {output("c", mem.get(pc, c.size()))};
  }
  double cpu_tolerance() const override { return 1e-5 * std::sqrt(double(k) + 1); }
  double cuda_tolerance() const override { return 1e-5 * std::sqrt(double(k) + 1); }
};

// --- conv ---------------------------------------------------------------------------------------

struct ConvCase : OpCase {
  ConvGeometry g;
  int64_t count;
  std::vector<float> images, cols;
  int64_t ld;
  ConvCase(ConvGeometry g_, int64_t count_) : g(g_), count(count_) {
    ld = count * g.out_pixels() + 3;
    images = uniform(count * g.image_size(), 4);
    cols = uniform(g.patch_size() * ld, 5);
  }
  std::string name() const override {
    return "im2col/col2im C" + std::to_string(g.channels) + " " + dims({g.height, g.width}) + " k" +
           std::to_string(g.kernel) + " s" + std::to_string(g.stride) + " p" + std::to_string(g.padding) + " n" +
           std::to_string(count);
  }
  std::vector<Output> run(Impl impl) const override {
    Arena mem(impl);
    const float* pi = mem.put(images);
    float* pc = mem.put(cols);  // padding columns keep their values
    BB_DISPATCH(impl, im2col, pi, count, g, pc, ld);
    const float* src = mem.put(cols);
    float* back = mem.put(std::vector<float>(images.size(), 9.0f));  // overwritten
    BB_DISPATCH(impl, col2im, src, ld, count, g, back);
    const int64_t pixels = g.out_pixels();
    float* maps = mem.put(std::vector<float>(static_cast<size_t>(count * g.channels * pixels), 7.0f));
    BB_DISPATCH(impl, columns_to_maps, src, ld, g.channels, pixels, count, maps);
    float* cols2 = mem.put(cols);
    BB_DISPATCH(impl, maps_to_columns, maps, g.channels, pixels, count, cols2, ld);
    return {output("cols", mem.get(pc, cols.size())), output("images", mem.get(back, images.size())),
            output("maps", mem.get(maps, static_cast<size_t>(count * g.channels * pixels))),
            output("cols2", mem.get(cols2, cols.size()))};
  }
  double cpu_tolerance() const override { return 1e-6; }  // col2im: the reference adds in another order
};

// Patch-major im2col and its adjoint (the compact convolution), and the batched transpose.
struct PatchesCase : OpCase {
  ConvGeometry g;
  int64_t count;
  std::vector<float> images, patches, rows;
  PatchesCase(ConvGeometry g_, int64_t count_) : g(g_), count(count_) {
    images = uniform(count * g.channels * g.height * g.width, 33);
    patches = uniform(count * g.out_pixels() * (g.patch_size() + 2), 34);  // row stride patch_size + 2
    rows = uniform(count * g.out_pixels() * g.channels, 35);
  }
  std::string name() const override {
    return "patches C" + std::to_string(g.channels) + " " + dims({g.height, g.width}) + " k" +
           std::to_string(g.kernel) + " s" + std::to_string(g.stride) + " p" + std::to_string(g.padding) + " n" +
           std::to_string(count);
  }
  std::vector<Output> run(Impl impl) const override {
    Arena mem(impl);
    const int64_t ld = g.patch_size() + 2, pixels = g.out_pixels();
    const float* pi = mem.put(images);
    float* pp = mem.put(patches);  // the 2 padding columns of each row keep their values
    BB_DISPATCH(impl, image_to_patches, pi, count, g, pp, ld);
    const float* src = mem.put(patches);
    float* back = mem.put(std::vector<float>(images.size(), 5.0f));
    BB_DISPATCH(impl, patches_to_image, src, ld, count, g, back);
    // rows [count][pixels][channels] -> maps [count][channels][pixels]
    const float* pr = mem.put(rows);
    float* maps = mem.put(std::vector<float>(rows.size(), -1.0f));
    BB_DISPATCH(impl, transpose, pr, count, pixels, g.channels, g.channels, pixels * g.channels, maps, pixels,
                pixels * g.channels);
    return {output("patches", mem.get(pp, patches.size())), output("images", mem.get(back, images.size())),
            output("maps", mem.get(maps, rows.size()))};
  }
};

// --- bias -------------------------------------------------------------------------------------

struct BiasCase : OpCase {
  int64_t batch, channels, pixels;
  std::vector<float> y, bias, acc;
  BiasCase(int64_t b, int64_t c, int64_t p) : batch(b), channels(c), pixels(p) {
    y = uniform(b * c * p, 6);
    bias = uniform(c * p, 7);  // also the [rows, cols] bias with cols = c * p
    acc = uniform(c * p, 8);
  }
  std::string name() const override { return "bias " + dims({batch, channels, pixels}); }
  std::vector<Output> run(Impl impl) const override {
    Arena mem(impl);
    const int64_t cols = channels * pixels;
    float* rows_y = mem.put(y);
    const float* pb = mem.put(bias);
    BB_DISPATCH(impl, add_bias_rows, rows_y, pb, batch, cols);
    float* row_sums = mem.put(acc);
    BB_DISPATCH(impl, sum_rows_into, rows_y, batch, cols, row_sums);
    float* chan_y = mem.put(y);
    BB_DISPATCH(impl, add_bias_channels, chan_y, pb, batch, channels, pixels);
    float* chan_sums = mem.put(acc);
    BB_DISPATCH(impl, sum_channels_into, chan_y, batch, channels, pixels, chan_sums);
    return {output("rows", mem.get(rows_y, y.size())), output("row_sums", mem.get(row_sums, acc.size())),
            output("channels", mem.get(chan_y, y.size())),
            output("channel_sums", mem.get(chan_sums, static_cast<size_t>(channels)))};
  }
  double cpu_tolerance() const override { return 1e-6 * double(batch * pixels); }
  double cuda_tolerance() const override { return 1e-6 * double(batch * pixels); }  // channel sums: a tree
};

// --- elementwise ------------------------------------------------------------------------------

struct ElementwiseCase : OpCase {
  int64_t n;
  std::vector<float> x, m, y;
  explicit ElementwiseCase(int64_t n_) : n(n_), x(uniform(n_, 9)), m(uniform(n_, 10)), y(uniform(n_, 11)) {}
  std::string name() const override { return "axpy/multiply/fill n" + std::to_string(n); }
  std::vector<Output> run(Impl impl) const override {
    Arena mem(impl);
    const float* px = mem.put(x);
    const float* pm = mem.put(m);
    float* pa = mem.put(y);
    BB_DISPATCH(impl, axpy, n, -0.37f, px, pa);
    float* pp = mem.put(y);
    BB_DISPATCH(impl, multiply, n, px, pm, pp);
    float* pf = mem.put(y);
    BB_DISPATCH(impl, fill, n, 0.25f, pf);
    return {output("axpy", mem.get(pa, y.size())), output("multiply", mem.get(pp, y.size())),
            output("fill", mem.get(pf, y.size()))};
  }
};

// --- activation -------------------------------------------------------------------------------

struct ActivationCase : OpCase {
  ActFn fn;
  int bits;
  float max;
  std::vector<float> x, dy;
  ActivationCase(ActFn f, int b, float mx, int64_t n) : fn(f), bits(b), max(mx) {
    x = uniform(n, 12, -2.5f, 2.5f);
    // Exact ties and clip edges: rounding half away from zero and the gradient windows.
    const float edges[] = {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, -0.5f, 2.0f, mx, 1.0f / 6.0f, -1.0f / 6.0f};
    for (size_t i = 0; i < std::size(edges) && i < x.size(); ++i) x[i] = edges[i];
    dy = uniform(n, 13);
  }
  std::string name() const override {
    return "activation " + std::to_string(static_cast<int>(fn)) + " bits " + std::to_string(bits) + " n" +
           std::to_string(x.size());
  }
  std::vector<Output> run(Impl impl) const override {
    Arena mem(impl);
    const auto n = static_cast<int64_t>(x.size());
    const float* px = mem.put(x);
    const float* pdy = mem.put(dy);
    float* py = mem.put(dy);
    float* pdx = mem.put(x);
    BB_DISPATCH(impl, activation_forward, fn, bits, max, n, px, py);
    BB_DISPATCH(impl, activation_backward, fn, bits, max, n, px, pdy, pdx);
    return {output("y", mem.get(py, x.size())), output("dx", mem.get(pdx, x.size()))};
  }
};

// --- batchnorm --------------------------------------------------------------------------------

// act: an activation in the same pass (fused); apart: the same computed as batch norm, then the
// activation kernels (forward and, before the batch norm's backward, the gradient's gate).
struct BatchNormCase : OpCase {
  int64_t batch, channels, pixels;
  bool training;
  ActSpec act;
  bool apart;
  std::vector<float> x, dy, gamma, beta, mean, var;
  BatchNormCase(int64_t b, int64_t c, int64_t p, bool train, ActSpec a = {}, bool apart_ = false)
      : batch(b), channels(c), pixels(p), training(train), act(a), apart(apart_) {
    x = uniform(b * c * p, 14, -2.0f, 3.0f);
    dy = uniform(b * c * p, 15);
    gamma = uniform(c, 16, 0.5f, 1.5f);
    beta = uniform(c, 17);
    mean = uniform(c, 18);
    var = uniform(c, 19, 0.5f, 2.0f);
  }
  std::string name() const override {
    return std::string("batchnorm ") + (training ? "train " : "eval ") + dims({batch, channels, pixels}) + " act " +
           std::to_string(static_cast<int>(act.fn)) + " bits " + std::to_string(act.bits) +
           (apart ? " apart" : " fused");
  }
  std::vector<Output> run(Impl impl) const override {
    Arena mem(impl);
    const float* px = mem.put(x);
    const float* pg = mem.put(gamma);
    const float* pb = mem.put(beta);
    float* pm = mem.put(mean);
    float* pv = mem.put(var);
    float* inv = mem.put(gamma);
    float* xhat = mem.put(x);
    float* bn_out = mem.put(x);
    const ActSpec in_pass = apart ? ActSpec{} : act;
    if (training) {
      BB_DISPATCH(impl, batchnorm_forward_train, px, batch, channels, pixels, pg, pb, 0.1f, 1e-5f, pm, pv, inv, xhat,
                  bn_out, in_pass);
    } else {
      BB_DISPATCH(impl, batchnorm_forward_eval, px, batch, channels, pixels, pg, pb, 1e-5f, pm, pv, inv, xhat, bn_out,
                  in_pass);
    }
    const int64_t n = static_cast<int64_t>(x.size());
    float* y = bn_out;
    const float* pdy = mem.put(dy);
    if (apart) {
      y = mem.put(x);
      BB_DISPATCH(impl, activation_forward, act.fn, act.bits, act.max, n, bn_out, y);
      float* gated = mem.put(dy);
      BB_DISPATCH(impl, activation_backward, act.fn, act.bits, act.max, n, bn_out, pdy, gated);
      pdy = gated;
    }
    float* gg = mem.put(beta);
    float* bg = mem.put(gamma);
    float* dx = mem.put(x);
    BB_DISPATCH(impl, batchnorm_backward, pdy, xhat, batch, channels, pixels, pg, pb, inv, training, gg, bg, dx,
                in_pass);
    const size_t ne = x.size(), c = gamma.size();
    return {output("y", mem.get(y, ne)),       output("xhat", mem.get(xhat, ne)),       output("inv_std", mem.get(inv, c)),
            output("running_mean", mem.get(pm, c)), output("running_var", mem.get(pv, c)),
            output("gamma_grad", mem.get(gg, c)), output("beta_grad", mem.get(bg, c)), output("dx", mem.get(dx, ne))};
  }
  double cpu_tolerance() const override { return 2e-5; }
  double cuda_tolerance() const override { return 2e-5; }
};

// --- pool -------------------------------------------------------------------------------------

struct PoolCase : OpCase {
  int64_t planes, h, w;
  int k, s;
  std::vector<float> x, dy;
  bool coarse;
  // coarse: values from {-1, -0.5, 0, 0.5, 1}, so windows tie in every position.
  PoolCase(int64_t pl, int64_t h_, int64_t w_, int k_, int s_, bool coarse_ = false)
      : planes(pl), h(h_), w(w_), k(k_), s(s_), coarse(coarse_) {
    x = uniform(pl * h * w, 20);
    for (size_t i = 0; i + 1 < x.size(); i += 5) x[i + 1] = x[i];  // ties: the first maximum wins
    if (coarse)
      for (float& v : x) v = std::round(v * 2.0f) / 2.0f;
    dy = uniform(pl * ((h - k) / s + 1) * ((w - k) / s + 1), 21);
  }
  std::string name() const override {
    return "maxpool " + dims({planes, h, w}) + " k" + std::to_string(k) + " s" + std::to_string(s) +
           (coarse ? " coarse" : "");
  }
  std::vector<Output> run(Impl impl) const override {
    Arena mem(impl);
    const float* px = mem.put(x);
    float* y = mem.put(dy);
    int32_t* arg = mem.put(std::vector<int32_t>(dy.size(), -1));
    BB_DISPATCH(impl, maxpool_forward, px, planes, h, w, k, s, y, arg);
    const float* pdy = mem.put(dy);
    float* dx = mem.put(x);
    BB_DISPATCH(impl, maxpool_backward, pdy, arg, planes, h, w, k, s, dx);
    return {output("y", mem.get(y, dy.size())), output("argmax", mem.get(arg, dy.size())),
            output("dx", mem.get(dx, x.size()))};
  }
};

// --- dropout ----------------------------------------------------------------------------------

struct DropoutCase : OpCase {
  int64_t n;
  float p;
  uint64_t seed;
  DropoutCase(int64_t n_, float p_, uint64_t seed_) : n(n_), p(p_), seed(seed_) {}
  std::string name() const override { return "dropout n" + std::to_string(n) + " p " + std::to_string(p); }
  std::vector<Output> run(Impl impl) const override {
    Arena mem(impl);
    Rng rng(seed);
    uint64_t* cursor = mem.put(std::vector<uint64_t>{rng.state(), rng.increment()});
    // Room for both calls: the second (5 draws, over the first's) shows the cursor moved on by n.
    const size_t size = static_cast<size_t>(std::max<int64_t>(n, 5));
    float* mask = mem.put(std::vector<float>(size, -1.0f));
    BB_DISPATCH(impl, dropout_mask, cursor, n, p, mask);
    BB_DISPATCH(impl, dropout_mask, cursor, 5, p, mask);
    return {output("mask", mem.get(mask, size)), output("cursor", mem.get(cursor, 2))};
  }
};

// --- loss -------------------------------------------------------------------------------------

struct LossCase : OpCase {
  LossKind kind;
  int64_t batch, classes;
  bool gradient;
  std::vector<float> logits;
  std::vector<int32_t> labels;
  LossCase(LossKind k, int64_t b, int64_t c, bool grad) : kind(k), batch(b), classes(c), gradient(grad) {
    logits = uniform(b * c, 22, -4.0f, 4.0f);
    if (b > 1 && c > 1) logits[1] = logits[0];  // a tie in the first row: argmax takes the first
    Rng rng(23);
    for (int64_t i = 0; i < b; ++i) labels.push_back(static_cast<int32_t>(rng.below(static_cast<uint32_t>(c))));
  }
  std::string name() const override {
    return std::string(kind == LossKind::CrossEntropy ? "cross_entropy " : "squared_hinge ") + dims({batch, classes}) +
           (gradient ? " with gradient" : "");
  }
  std::vector<Output> run(Impl impl) const override {
    Arena mem(impl);
    const float* pl = mem.put(logits);
    const int32_t* plab = mem.put(labels);
    float* d = gradient ? mem.put(logits) : nullptr;
    LossStats start;
    start.loss_sum = 1.5;
    start.correct = 3;
    start.seen = 7;
    LossStats* stats = mem.put_value(start);
    BB_DISPATCH(impl, loss_forward_backward, kind, pl, plab, batch, classes, d, stats);
    const LossStats s = mem.get(stats, 1)[0];
    std::vector<Output> out{output("stats", std::vector<double>{s.loss_sum, double(s.correct), double(s.seen),
                                                                s.last_loss})};
    if (gradient) out.push_back(output("dlogits", mem.get(d, logits.size())));
    return out;
  }
  double cpu_tolerance() const override { return 1e-12 * double(batch * classes) + 1e-9; }
  double cuda_tolerance() const override { return 1e-12 * double(batch * classes) + 1e-9; }
};

// --- optimizer --------------------------------------------------------------------------------

struct OptimizerCase : OpCase {
  bool adam;
  bool nesterov;
  int64_t n;
  std::vector<float> w, g, m, v;
  OptimizerCase(bool adam_, bool nesterov_, int64_t n_) : adam(adam_), nesterov(nesterov_), n(n_) {
    w = uniform(n, 24);
    g = uniform(n, 25);
    m = uniform(n, 26);
    v = uniform(n, 27, 0.0f, 1.0f);
  }
  std::string name() const override {
    return std::string(adam ? "adam" : nesterov ? "sgd nesterov" : "sgd") + " n" + std::to_string(n);
  }
  std::vector<Output> run(Impl impl) const override {
    Arena mem(impl);
    float* pw = mem.put(w);
    float* pm = mem.put(m);
    float* pv = mem.put(v);
    const float* pg = mem.put(g);
    for (int step = 1; step <= 3; ++step) {
      const float* hyper = mem.put(std::vector<float>{0.01f * step, 1.0f / (1.0f - std::pow(0.9f, float(step))),
                                                      1.0f / (1.0f - std::pow(0.999f, float(step)))});
      if (adam) {
        const AdamSettings s{0.9f, 0.999f, 1e-8f, 0.01f};
        BB_DISPATCH(impl, adam_update, n, s, hyper, pg, pw, pm, pv);
      } else {
        const SgdSettings s{0.9f, 0.001f, nesterov};
        BB_DISPATCH(impl, sgd_update, n, s, hyper, pg, pw, pm);
      }
    }
    return {output("w", mem.get(pw, w.size())), output("m", mem.get(pm, m.size())),
            output("v", mem.get(pv, v.size()))};
  }
};

// --- constraint -------------------------------------------------------------------------------

// A block-sparse layout with a kept-block mask, ragged edges and an empty block-row (block-row 1).
struct LayoutData {
  BsrLayout layout;
  std::vector<int32_t> row_of;
  std::vector<uint8_t> element_mask;  // dense mask of the kept blocks' in-matrix positions
};

LayoutData make_layout(int64_t rows, int64_t cols, int br, int bc, int ratio, uint64_t seed) {
  Rng rng(seed);
  const auto mask = random_block_mask(rows, cols, br, bc, ratio, rng);
  LayoutData d;
  d.layout = bsr_layout_from_mask(mask.data(), rows, cols, br, bc);
  const BsrLayout& l = d.layout;
  d.element_mask.assign(static_cast<size_t>(rows * cols), 0);
  for (int64_t i = 0; i < l.num_block_rows(); ++i)
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
      d.row_of.push_back(static_cast<int32_t>(i));
      for (int r = 0; r < l.rows_in_block_row(i); ++r)
        for (int c = 0; c < l.cols_in_block_col(l.block_col_idx[b]); ++c)
          d.element_mask[(i * br + r) * cols + int64_t{l.block_col_idx[b]} * bc + c] = 1;
    }
  return d;
}

struct ConstraintCase : OpCase {
  int64_t rows, cols;
  int bits;
  bool per_row;
  LayoutData data;
  std::vector<float> latent, grad, blocks, block_grad;
  ConstraintCase(int64_t r, int64_t c, int br, int bc, int ratio, int bits_, bool per_row_)
      : rows(r), cols(c), bits(bits_), per_row(per_row_), data(make_layout(r, c, br, bc, ratio, 28)) {
    latent = uniform(r * c, 29, -1.5f, 1.5f);
    latent[0] = 0.0f;  // sign(0) = +1; |w| == clip passes
    if (latent.size() > 2) latent[2] = 1.0f;
    grad = uniform(r * c, 30);
    const int64_t n = data.layout.kept_blocks() * data.layout.block_elems();
    blocks.assign(static_cast<size_t>(n), 0.0f);
    bsr_gather_blocks(data.layout, latent.data(), blocks.data());
    block_grad = uniform(n, 31);
  }
  std::string name() const override {
    return "constraint " + dims({rows, cols}) + " blocks " + dims({data.layout.block_rows, data.layout.block_cols}) +
           " bits " + std::to_string(bits) + (per_row ? " per row" : " per layer");
  }
  std::vector<Output> run(Impl impl) const override {
    Arena mem(impl);
    const float clip = bits == 1 ? 1.0f : std::numeric_limits<float>::infinity();
    const size_t nscales = per_row ? static_cast<size_t>(rows) : 1;
    // Dense matrix under the element mask.
    const float* w = mem.put(latent);
    const uint8_t* mask = mem.put(data.element_mask);
    double* stat = mem.put(std::vector<double>(static_cast<size_t>(rows), -1.0));
    int64_t* count = mem.put(std::vector<int64_t>(static_cast<size_t>(rows), -1));
    float* scales = mem.put(std::vector<float>(nscales, -1.0f));
    float* eff = mem.put(grad);
    BB_DISPATCH(impl, weight_row_statistics, w, mask, rows, cols, bits, stat, count);
    BB_DISPATCH(impl, weight_scales, bits, per_row, rows, stat, count, scales);
    BB_DISPATCH(impl, weight_quantize, w, mask, rows, cols, bits, scales, per_row, eff);
    const float* g = mem.put(grad);
    float* gl = mem.put(latent);
    BB_DISPATCH(impl, weight_backward, w, g, mask, rows * cols, clip, gl);
    float* clipped = mem.put(latent);
    BB_DISPATCH(impl, weight_clip, rows * cols, 1.0f, clipped);
    // The same kept weights, compact.
    BlockLayoutView view = view_of(data.layout);
    view.block_row_ptr = mem.put(data.layout.block_row_ptr);
    view.block_col_idx = mem.put(data.layout.block_col_idx);
    view.block_row_of = mem.put(data.row_of);
    const auto nb = static_cast<int64_t>(blocks.size());
    const float* wb = mem.put(blocks);
    double* bstat = mem.put(std::vector<double>(static_cast<size_t>(rows), -1.0));
    int64_t* bcount = mem.put(std::vector<int64_t>(static_cast<size_t>(rows), -1));
    float* bscales = mem.put(std::vector<float>(nscales, -1.0f));
    float* beff = mem.put(block_grad);
    BB_DISPATCH(impl, weight_row_statistics_blocks, view, wb, bits, bstat, bcount);
    BB_DISPATCH(impl, weight_scales, bits, per_row, rows, bstat, bcount, bscales);
    BB_DISPATCH(impl, weight_quantize_blocks, view, wb, bits, bscales, per_row, beff);
    const float* bg = mem.put(block_grad);
    float* bgl = mem.put(blocks);  // accumulates onto these values
    BB_DISPATCH(impl, weight_backward_blocks, wb, bg, nb, clip, bgl);
    const auto r = static_cast<size_t>(rows);
    return {output("stat", mem.get(stat, r)),          output("count", mem.get(count, r)),
            output("scales", mem.get(scales, nscales)), output("effective", mem.get(eff, latent.size())),
            output("grad_latent", mem.get(gl, latent.size())), output("clipped", mem.get(clipped, latent.size())),
            output("block_stat", mem.get(bstat, r)),   output("block_count", mem.get(bcount, r)),
            output("block_scales", mem.get(bscales, nscales)),
            output("block_effective", mem.get(beff, blocks.size())),
            output("block_grad", mem.get(bgl, blocks.size()))};
  }
  // Binary sums run in other orders (reference: one column at a time; CUDA: a warp tree).
  double cpu_tolerance() const override { return bits == 1 ? 1e-12 : 0.0; }
  double cuda_tolerance() const override { return bits == 1 ? 1e-12 : 0.0; }
};

// --- batch gathering --------------------------------------------------------------------------

struct BatchCase : OpCase {
  int channels, height, width;
  bool augment;
  std::vector<uint8_t> images, labels;
  std::vector<int64_t> indices;
  std::vector<SampleTransform> transforms;
  std::vector<float> lut;
  BatchCase(int c, int h, int w, bool aug) : channels(c), height(h), width(w), augment(aug) {
    Rng rng(32);
    const int64_t samples = 9;
    images.resize(static_cast<size_t>(samples * c * h * w));
    for (auto& p : images) p = static_cast<uint8_t>(rng.below(256));
    for (int64_t i = 0; i < samples; ++i) labels.push_back(static_cast<uint8_t>(rng.below(10)));
    indices = {3, 0, 8, 3, 5};
    for (size_t i = 0; i < indices.size(); ++i)
      transforms.push_back({static_cast<int32_t>(rng.below(9)) - 4, static_cast<int32_t>(rng.below(9)) - 4,
                            static_cast<int32_t>(rng.below(2))});
    for (int v = 0; v < 256; ++v) lut.push_back((static_cast<float>(v) / 255.0f - 0.5f) / 0.5f);
  }
  std::string name() const override {
    return "gather_batch " + dims({channels, height, width}) + (augment ? " augmented" : "");
  }
  std::vector<Output> run(Impl impl) const override {
    Arena mem(impl);
    ImageSet set{mem.put(images), mem.put(labels), channels, height, width};
    const int64_t* idx = mem.put(indices);
    const SampleTransform* tf = augment ? mem.put(transforms) : nullptr;
    const auto n = static_cast<int64_t>(indices.size());
    float* x = mem.put(std::vector<float>(static_cast<size_t>(n * channels * height * width), -9.0f));
    int32_t* y = mem.put(std::vector<int32_t>(static_cast<size_t>(n), -1));
    BB_DISPATCH(impl, gather_batch, set, idx, tf, n, mem.put(lut), x, y);
    return {output("x", mem.get(x, static_cast<size_t>(n * channels * height * width))),
            output("y", mem.get(y, static_cast<size_t>(n)))};
  }
};

// --- the case list ----------------------------------------------------------------------------

std::vector<std::unique_ptr<OpCase>> all_cases() {
  std::vector<std::unique_ptr<OpCase>> c;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      c.push_back(std::make_unique<GemmCase>(ta, tb, 7, 5, 9, 0.5f, 2.0f));
      c.push_back(std::make_unique<GemmCase>(ta, tb, 1, 1, 1, 1.0f, 0.0f));
      c.push_back(std::make_unique<GemmCase>(ta, tb, 33, 70, 129, 1.0f, 1.0f));
    }
  c.push_back(std::make_unique<GemmCase>(false, false, 3, 4, 0, 1.0f, 0.5f));  // k = 0: C = beta C
  c.push_back(std::make_unique<GemmCase>(false, true, 3, 4, 0, 1.0f, 0.0f));
  c.push_back(std::make_unique<ConvCase>(ConvGeometry{2, 5, 4, 3, 2, 1}, 3));
  c.push_back(std::make_unique<ConvCase>(ConvGeometry{1, 3, 3, 2, 1, 0}, 1));
  c.push_back(std::make_unique<ConvCase>(ConvGeometry{3, 6, 7, 3, 2, 2}, 2));
  c.push_back(std::make_unique<ConvCase>(ConvGeometry{4, 8, 8, 1, 1, 0}, 2));
  c.push_back(std::make_unique<ConvCase>(ConvGeometry{3, 5, 5, 5, 1, 2}, 1));
  c.push_back(std::make_unique<PatchesCase>(ConvGeometry{2, 5, 4, 3, 2, 1}, 3));
  c.push_back(std::make_unique<PatchesCase>(ConvGeometry{3, 6, 7, 3, 1, 1}, 2));
  c.push_back(std::make_unique<PatchesCase>(ConvGeometry{1, 5, 5, 5, 1, 2}, 1));
  c.push_back(std::make_unique<PatchesCase>(ConvGeometry{4, 8, 8, 1, 1, 0}, 2));
  for (auto [b, ch, p] : {std::tuple{1, 1, 1}, {3, 70, 1}, {5, 3, 17}, {2, 130, 9}, {1, 11, 33}, {3, 16, 49}})
    c.push_back(std::make_unique<BiasCase>(b, ch, p));
  for (int64_t n : {0, 1, 7, 1000}) c.push_back(std::make_unique<ElementwiseCase>(n));
  for (int64_t n : {1, 37, 4096 + 3}) {
    c.push_back(std::make_unique<ActivationCase>(ActFn::Identity, 32, 1.0f, n));
    c.push_back(std::make_unique<ActivationCase>(ActFn::Sign, 1, 1.0f, n));
    c.push_back(std::make_unique<ActivationCase>(ActFn::Relu, 32, 1.0f, n));
    c.push_back(std::make_unique<ActivationCase>(ActFn::Hardtanh, 32, 1.0f, n));
    for (int bits : {2, 3, 8}) {
      c.push_back(std::make_unique<ActivationCase>(ActFn::Relu, bits, 1.5f, n));
      c.push_back(std::make_unique<ActivationCase>(ActFn::Hardtanh, bits, 1.0f, n));
    }
  }
  for (bool train : {true, false})
    for (auto [b, ch, p] : {std::tuple{2, 1, 1}, {7, 70, 1}, {3, 5, 13}, {4, 2, 100}, {2, 5, 70}})
      c.push_back(std::make_unique<BatchNormCase>(b, ch, p, train));
  c.push_back(std::make_unique<PoolCase>(3, 4, 4, 2, 2));
  c.push_back(std::make_unique<PoolCase>(2, 7, 5, 3, 2));  // overlapping windows, ragged edge
  c.push_back(std::make_unique<PoolCase>(1, 5, 5, 2, 1));
  c.push_back(std::make_unique<PoolCase>(4, 3, 3, 3, 3));
  c.push_back(std::make_unique<PoolCase>(1, 9, 35, 2, 2));   // 2x2 path: odd sides, 17 outputs a row
  c.push_back(std::make_unique<PoolCase>(6, 28, 28, 2, 2));  // fashion_cnn's first pool
  c.push_back(std::make_unique<PoolCase>(2, 2, 2, 2, 2));    // one window
  c.push_back(std::make_unique<PoolCase>(3, 8, 10, 2, 2, true));
  c.push_back(std::make_unique<PoolCase>(2, 7, 5, 3, 2, true));
  for (int64_t n : {0, 1, 7, 8, 9, 4096, 4097, 20000}) c.push_back(std::make_unique<DropoutCase>(n, 0.3f, 50 + n));
  for (LossKind k : {LossKind::CrossEntropy, LossKind::SquaredHinge})
    for (auto [b, cl] : {std::pair{1, 1}, {1, 10}, {100, 10}, {300, 7}}) {
      c.push_back(std::make_unique<LossCase>(k, b, cl, true));
      c.push_back(std::make_unique<LossCase>(k, b, cl, false));
    }
  for (int64_t n : {1, 5, 4096 + 7}) {
    c.push_back(std::make_unique<OptimizerCase>(true, false, n));
    c.push_back(std::make_unique<OptimizerCase>(false, false, n));
    c.push_back(std::make_unique<OptimizerCase>(false, true, n));
  }
  for (int bits : {1, 2, 3, 8, 32})
    for (bool per_row : {true, false}) {
      c.push_back(std::make_unique<ConstraintCase>(10, 11, 4, 4, 2, bits, per_row));  // ragged both ways
      c.push_back(std::make_unique<ConstraintCase>(64, 130, 8, 8, 4, bits, per_row));
      c.push_back(std::make_unique<ConstraintCase>(3, 5, 1, 1, 1, bits, per_row));
    }
  for (bool aug : {false, true}) {
    c.push_back(std::make_unique<BatchCase>(1, 28, 28, aug));
    c.push_back(std::make_unique<BatchCase>(3, 5, 7, aug));
  }
  return c;
}

TEST(TrainOps, CpuMatchesReference) {
  for (const auto& c : all_cases()) check_cpu(*c);
}

TEST(TrainOps, CudaMatchesCpu) {
  if (!cuda_usable()) GTEST_SKIP() << "no usable CUDA device";
  for (const auto& c : all_cases()) check_cuda(*c);
}

// A channel sum's bits are those of adding its values in (sample, pixel) order in float, then
// adding that to the accumulator (bias.hpp), on every ISA and whatever channels run beside it.
// Values of mixed magnitude make any other order round differently.
TEST(TrainOps, ChannelSumsAddInSampleThenPixelOrder) {
  for (const auto& shape : {std::tuple<int64_t, int64_t, int64_t>{3, 19, 21}, {1, 8, 5}, {2, 9, 1}}) {
    // Plain locals, not a structured binding: the lambda below captures them (C++17).
    const int64_t batch = std::get<0>(shape), channels = std::get<1>(shape), pixels = std::get<2>(shape);
    std::vector<float> y = uniform(batch * channels * pixels, 60);
    for (size_t i = 0; i < y.size(); i += 7) y[i] *= 1.0e6f;
    const std::vector<float> acc = uniform(channels, 61);
    std::vector<float> want = acc;
    for (int64_t c = 0; c < channels; ++c) {
      float sum = 0.0f;
      for (int64_t n = 0; n < batch; ++n)
        for (int64_t p = 0; p < pixels; ++p) sum += y[static_cast<size_t>((n * channels + c) * pixels + p)];
      want[static_cast<size_t>(c)] += sum;
    }
    for_each_isa([&](Isa) {
      std::vector<float> got = acc;
      sum_channels_into(y.data(), batch, channels, pixels, got.data());
      for (int64_t c = 0; c < channels; ++c)
        EXPECT_EQ(got[static_cast<size_t>(c)], want[static_cast<size_t>(c)])
            << dims({batch, channels, pixels}) << " channel " << c;
    });
  }
}

// Batch norm with its activation in the same pass gives the bits of the two kernels apart, on
// every implementation (the reference, the CPU on every ISA, CUDA on a device), for every
// activation, training and evaluation, forward and backward.
TEST(TrainOps, BatchNormWithActivationGivesTheBitsOfTheTwoApart) {
  const std::vector<ActSpec> acts = {{ActFn::Relu, 8, 4.0f}, {ActFn::Relu, 2, 1.5f}, {ActFn::Relu, 32, 1.0f},
                                     {ActFn::Hardtanh, 3, 1.0f}, {ActFn::Hardtanh, 32, 1.0f},
                                     {ActFn::Sign, 1, 1.0f}, {ActFn::Identity, 32, 1.0f}};
  std::vector<Impl> impls = {Impl::Reference, Impl::Cpu};
  if (cuda_usable()) impls.push_back(Impl::Cuda);
  for (bool train : {true, false})
    for (auto [b, ch, p] : {std::tuple{3, 5, 13}, {4, 3, 100}, {7, 70, 1}})
      for (const ActSpec& a : acts) {
        const BatchNormCase fused(b, ch, p, train, a), apart(b, ch, p, train, a, true);
        SCOPED_TRACE(fused.name());
        for (Impl impl : impls) {
          if (impl == Impl::Cpu) {
            for_each_isa([&](Isa) { expect_outputs_match(fused.run(impl), apart.run(impl), 0.0, "cpu"); });
          } else {
            expect_outputs_match(fused.run(impl), apart.run(impl), 0.0, impl == Impl::Cuda ? "cuda" : "reference");
          }
        }
      }
}

// The reference is the oracle, so check it against hand values where they are known.
TEST(TrainOps, ReferenceKnownValues) {
  float y[2] = {0.0f, 0.0f};
  const float x[2] = {0.5f, -0.25f};
  reference::activation_forward(ActFn::Hardtanh, 2, 1.0f, 2, x, y);  // L = 1: round half away from zero
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], 0.0f);
  const float logits[2] = {0.0f, 0.0f};
  const int32_t label = 1;
  float d[2];
  LossStats s;
  reference::loss_forward_backward(LossKind::CrossEntropy, logits, &label, 1, 2, d, &s);
  EXPECT_NEAR(s.last_loss, std::log(2.0), 1e-12);
  EXPECT_FLOAT_EQ(d[0], 0.5f);
  EXPECT_FLOAT_EQ(d[1], -0.5f);
  EXPECT_EQ(s.correct, 0);  // argmax takes the first of equal logits
  const float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8};
  float c[4] = {0, 0, 0, 0};
  reference::gemm(false, false, 2, 2, 2, 1.0f, a, 2, b, 2, 0.0f, c, 2);
  EXPECT_EQ(c[0], 19.0f);
  EXPECT_EQ(c[3], 50.0f);
}

}  // namespace
}  // namespace bitblock::kernels::testing
