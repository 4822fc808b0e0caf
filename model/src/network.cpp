#include "bitblock/model/network.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "bitblock/common/checked.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/common/text_escape.hpp"
#include "bitblock/kernels/codes.hpp"

namespace bitblock::model {

const char* to_string(InputMode m) { return m == InputMode::Pixel ? "pixel" : "centered"; }
const char* to_string(OpKind k) { return k == OpKind::Dense ? "dense" : "conv"; }
const char* to_string(ActKind k) {
  switch (k) {
    case ActKind::Sign: return "sign";
    case ActKind::Unsigned: return "unsigned";
    case ActKind::Signed: return "signed";
    case ActKind::None: return "none";
  }
  return "none";
}
const char* to_string(PoolPlacement p) { return p == PoolPlacement::Acc ? "acc" : "codes"; }

InputMode parse_input_mode(const std::string& s, const std::string& where) {
  if (s == "pixel") return InputMode::Pixel;
  if (s == "centered") return InputMode::Centered;
  fail_input(where, "unknown input mode '" + s + "' (expected pixel or centered)");
}
OpKind parse_op_kind(const std::string& s, const std::string& where) {
  if (s == "dense") return OpKind::Dense;
  if (s == "conv") return OpKind::Conv;
  fail_input(where, "unknown op '" + s + "' (expected dense or conv)");
}
ActKind parse_act_kind(const std::string& s, const std::string& where) {
  if (s == "sign") return ActKind::Sign;
  if (s == "unsigned") return ActKind::Unsigned;
  if (s == "signed") return ActKind::Signed;
  if (s == "none") return ActKind::None;
  fail_input(where, "unknown activation '" + s + "' (expected sign, unsigned, signed or none)");
}
PoolPlacement parse_pool_placement(const std::string& s, const std::string& where) {
  if (s == "acc") return PoolPlacement::Acc;
  if (s == "codes") return PoolPlacement::Codes;
  fail_input(where, "unknown pool placement '" + s + "' (expected acc or codes)");
}

int Stage::conv_out_h() const {
  return op == OpKind::Dense ? 1 : (input.h + 2 * padding - kernel) / stride + 1;
}
int Stage::conv_out_w() const {
  return op == OpKind::Dense ? 1 : (input.w + 2 * padding - kernel) / stride + 1;
}
Shape Stage::output_shape() const {
  Shape s = pre_pool_shape();
  if (pool.active()) {
    s.h = (s.h - pool.size) / pool.stride + 1;
    s.w = (s.w - pool.size) / pool.stride + 1;
  }
  return s;
}

CodeRange input_code_range(InputMode mode) {
  return mode == InputMode::Pixel ? CodeRange{0, 255} : CodeRange{-255, 255};
}

CodeRange activation_code_range(ActKind act, int bits) {
  switch (act) {
    case ActKind::Sign: return {-1, 1};
    case ActKind::Unsigned: return {0, (1 << bits) - 1};
    case ActKind::Signed: return {-((1 << (bits - 1)) - 1), (1 << (bits - 1)) - 1};
    case ActKind::None: break;
  }
  return {0, 0};
}

CodeRange stage_input_range(const Network& net, size_t stage) {
  if (stage == 0) return input_code_range(net.input_mode);
  const Stage& prev = net.stages[stage - 1];
  return activation_code_range(prev.act, prev.act_bits);
}

int64_t kept_in_matrix_elements(const kernels::BsrLayout& l) {
  int64_t n = 0;
  for (int64_t i = 0; i < l.num_block_rows(); ++i)
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b)
      n += int64_t{l.rows_in_block_row(i)} * l.cols_in_block_col(l.block_col_idx[b]);
  return n;
}

int64_t accumulator_bound(const Stage& s, const CodeRange& in) {
  const kernels::BsrLayout& l = s.weights.layout;
  std::vector<int8_t> block(static_cast<size_t>(l.block_elems()));
  std::vector<int64_t> row_abs(static_cast<size_t>(l.rows), 0);
  for (int64_t i = 0; i < l.num_block_rows(); ++i) {
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
      kernels::bsr_decode_block(s.weights, b, block.data());
      for (int r = 0; r < l.rows_in_block_row(i); ++r)
        for (int c = 0; c < l.block_cols; ++c)
          row_abs[static_cast<size_t>(i * l.block_rows + r)] += std::abs(block[static_cast<size_t>(r) * l.block_cols + c]);
    }
  }
  const int64_t worst = row_abs.empty() ? 0 : *std::max_element(row_abs.begin(), row_abs.end());
  return worst * in.max_abs();
}

namespace {

[[noreturn]] void fail_stage(const std::string& where, size_t k, const Stage& s, const std::string& problem) {
  fail_input(where, "stage " + std::to_string(k) + " (" + s.name + "): " + problem);
}

std::string shape_str(const Shape& s) {
  return std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w);
}

// "" when every side is >= 1 and the values fit kMaxStageValues, else the problem.
std::string shape_problem(const Shape& s) {
  if (s.c < 1 || s.h < 1 || s.w < 1) return "shape " + shape_str(s) + " has an empty side";
  const std::optional<int64_t> ch = try_mul(s.c, s.h);
  const std::optional<int64_t> chw = ch ? try_mul(*ch, s.w) : std::nullopt;
  if (!chw || *chw > kMaxStageValues)
    return "shape " + shape_str(s) + " has more than " + std::to_string(kMaxStageValues) + " values";
  return "";
}

void check_shape(const std::string& where, size_t k, const Stage& s, const char* what, const Shape& shape) {
  const std::string problem = shape_problem(shape);
  if (!problem.empty()) fail_stage(where, k, s, std::string(what) + " " + problem);
}

void check_constraint(const std::string& where, size_t k, const Stage& s) {
  const kernels::BsrLayout& l = s.weights.layout;
  const StageConstraint& c = s.constraint;
  const std::string block = std::to_string(l.block_rows) + "x" + std::to_string(l.block_cols);
  bool fits = true;
  switch (c.structure) {
    case Sparsity::None: fits = l.kept_blocks() == l.num_block_rows() * l.num_block_cols(); break;
    case Sparsity::Element: fits = l.block_rows == 1 && l.block_cols == 1; break;
    case Sparsity::Row: fits = l.block_rows == 1 && l.block_cols == l.cols; break;
    case Sparsity::Column: fits = l.block_rows == l.rows && l.block_cols == 1; break;
    case Sparsity::Block: break;
  }
  if (!fits)
    fail_stage(where, k, s, std::string("constraint structure ") + to_string(c.structure) + " does not match the weights (" +
                                block + " blocks, " + std::to_string(l.kept_blocks()) + " of " +
                                std::to_string(l.num_block_rows() * l.num_block_cols()) + " kept)");
  if (!std::isfinite(c.ratio) || c.ratio < 1.0) fail_stage(where, k, s, "constraint ratio must be a finite number >= 1");
}

void validate_stage(const Network& net, size_t k, const std::string& where) {
  const Stage& s = net.stages[k];
  // First: every later message prints the name.
  if (!is_safe_name(s.name))
    fail_input(where, "stage " + std::to_string(k) + ": name '" + printable(s.name) + "' " + kSafeNameRule);
  const std::string weights_where = where + ": stage " + std::to_string(k) + " (" + s.name + ") weights";
  kernels::bsr_validate(s.weights, weights_where.c_str());
  const int64_t rows = s.weights.layout.rows, cols = s.weights.layout.cols;
  if (rows > kMaxStageValues || cols > kMaxStageValues)
    fail_stage(where, k, s, "weight matrix " + std::to_string(rows) + "x" + std::to_string(cols) + " has a side over " +
                                std::to_string(kMaxStageValues));
  // Window sizes first: the shape arithmetic below relies on them being small.
  if (s.op == OpKind::Conv &&
      (s.kernel < 1 || s.kernel > kMaxWindow || s.stride < 1 || s.stride > kMaxWindow || s.padding < 0 || s.padding >= s.kernel))
    fail_stage(where, k, s, "conv needs 1 <= kernel <= " + std::to_string(kMaxWindow) + ", 1 <= stride <= " +
                                std::to_string(kMaxWindow) + " and 0 <= padding < kernel");
  if (s.pool.size < 0 || s.pool.size > kMaxWindow || (s.pool.active() && (s.pool.stride < 1 || s.pool.stride > kMaxWindow)))
    fail_stage(where, k, s, "pool needs 0 <= size <= " + std::to_string(kMaxWindow) + " and, with a window, 1 <= stride <= " +
                                std::to_string(kMaxWindow));
  check_shape(where, k, s, "input", s.input);
  const Shape prev = k == 0 ? net.input : net.stages[k - 1].output_shape();
  if (s.op == OpKind::Dense) {
    if (s.input.size() != prev.size())
      fail_stage(where, k, s, "input has " + std::to_string(s.input.size()) + " values, previous output has " +
                                  std::to_string(prev.size()));
    if (cols != s.input.size())
      fail_stage(where, k, s, "weight has " + std::to_string(cols) + " columns, input has " +
                                  std::to_string(s.input.size()) + " values");
  } else {
    if (!(s.input == prev))
      fail_stage(where, k, s, "input shape " + shape_str(s.input) + " differs from the previous output " + shape_str(prev));
    if (s.conv_out_h() < 1 || s.conv_out_w() < 1) fail_stage(where, k, s, "kernel larger than the padded input");
    if (cols != int64_t{s.input.c} * s.kernel * s.kernel)
      fail_stage(where, k, s, "weight has " + std::to_string(cols) + " columns, conv needs Cin*k*k = " +
                                  std::to_string(int64_t{s.input.c} * s.kernel * s.kernel));
  }
  check_shape(where, k, s, "weight op output", s.pre_pool_shape());
  if (s.op == OpKind::Conv && s.positions() * cols > kMaxIm2colValues)
    fail_stage(where, k, s, "im2col matrix of " + std::to_string(s.positions()) + " x " + std::to_string(cols) +
                                " values is over the limit of " + std::to_string(kMaxIm2colValues));
  if (s.pool.active() && (s.pool.size > s.conv_out_h() || s.pool.size > s.conv_out_w()))
    fail_stage(where, k, s, "pool window larger than the feature map");
  if (static_cast<int64_t>(s.mult.size()) != rows || static_cast<int64_t>(s.bias.size()) != rows)
    fail_stage(where, k, s, "requantization has " + std::to_string(s.mult.size()) + " multipliers and " +
                                std::to_string(s.bias.size()) + " biases for " + std::to_string(rows) + " channels");
  if (s.shift < 0 || s.shift > 62) fail_stage(where, k, s, "shift " + std::to_string(s.shift) + " outside 0..62");
  const bool last = k + 1 == net.stages.size();
  switch (s.act) {
    case ActKind::Sign:
      if (s.act_bits != 1) fail_stage(where, k, s, "sign activation must have 1 bit");
      break;
    case ActKind::Unsigned:
      if (s.act_bits < 1 || s.act_bits > 8) fail_stage(where, k, s, "unsigned activation bits must be 1..8");
      break;
    case ActKind::Signed:
      if (s.act_bits < 2 || s.act_bits > 8) fail_stage(where, k, s, "signed activation bits must be 2..8");
      break;
    case ActKind::None:
      if (!last) fail_stage(where, k, s, "activation none (logits) is only allowed on the final stage");
      break;
  }
  if (last) {
    if (s.act != ActKind::None) fail_stage(where, k, s, "the final stage must have activation none (logits)");
    if (s.output_shape().size() != net.num_classes)
      fail_stage(where, k, s, "final output has " + std::to_string(s.output_shape().size()) + " values for " +
                                  std::to_string(net.num_classes) + " classes");
  }
  check_constraint(where, k, s);
  const int64_t bound = accumulator_bound(s, stage_input_range(net, k));
  if (bound > std::numeric_limits<int32_t>::max())
    fail_stage(where, k, s, "accumulator can reach " + std::to_string(bound) + ", beyond int32");
  const int64_t i64max = std::numeric_limits<int64_t>::max();
  for (size_t c = 0; c < s.mult.size(); ++c) {
    const int64_t m = std::abs(static_cast<int64_t>(s.mult[c]));
    const int64_t b = s.bias[c] == std::numeric_limits<int64_t>::min() ? i64max : std::abs(s.bias[c]);
    if (m != 0 && bound > (i64max - b) / m)
      fail_stage(where, k, s, "acc * m + b can overflow int64 in channel " + std::to_string(c));
  }
}

}  // namespace

bool is_safe_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (const char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
  return true;
}

void validate_network(const Network& net, const std::string& where) {
  if (!is_safe_name(net.dataset)) fail_input(where, "data set name '" + printable(net.dataset) + "' " + kSafeNameRule);
  const std::string input_problem = shape_problem(net.input);
  if (!input_problem.empty()) fail_input(where, "input " + input_problem);
  if (net.num_classes < 1) fail_input(where, "num_classes must be >= 1");
  if (net.stages.empty()) fail_input(where, "the network has no stages");
  for (size_t k = 0; k < net.stages.size(); ++k) validate_stage(net, k, where);
}

Requant make_requant(const std::vector<double>& A, const std::vector<double>& B, ActKind act, int64_t acc_bound) {
  if (A.size() != B.size()) fail_input("make_requant", "A and B differ in length");
  double max_a = 0.0, max_b = 0.0;
  for (size_t c = 0; c < A.size(); ++c) {
    if (!std::isfinite(A[c]) || !std::isfinite(B[c])) fail_input("make_requant", "non-finite A or B in channel " + std::to_string(c));
    max_a = std::max(max_a, std::fabs(A[c]));
    max_b = std::max(max_b, std::fabs(B[c]));
  }
  const bool rounds = act == ActKind::Unsigned || act == ActKind::Signed;
  const double limit_sum = std::ldexp(1.0, 61), limit_m = std::ldexp(1.0, 30);
  for (int shift = 40; shift >= 0; --shift) {
    const double scale = std::ldexp(1.0, shift);
    const double m = std::round(max_a * scale);
    const double half = rounds && shift > 0 ? scale / 2 : 0.0;
    if (m > limit_m) continue;
    if (static_cast<double>(acc_bound) * m + std::round(max_b * scale) + half > limit_sum) continue;
    Requant r;
    r.shift = shift;
    for (size_t c = 0; c < A.size(); ++c) {
      r.mult.push_back(static_cast<int32_t>(std::llround(A[c] * scale)));
      r.bias.push_back(static_cast<int64_t>(std::llround(B[c] * scale)) + static_cast<int64_t>(half));
    }
    return r;
  }
  fail_input("make_requant", "offsets B are too large for a 64-bit fixed-point requantization");
}

int64_t floor_shift(int64_t z, int shift) {
  // Arithmetic right shift floors; spelled out so it does not depend on the compiler.
  if (z >= 0) return z >> shift;
  return -(((-(z + 1)) >> shift) + 1);
}

int16_t activate(int64_t z, ActKind act, int bits, int shift) {
  switch (act) {
    case ActKind::Sign: return z >= 0 ? 1 : -1;
    case ActKind::Unsigned: {
      const int64_t v = floor_shift(z, shift);
      return static_cast<int16_t>(std::clamp<int64_t>(v, 0, (int64_t{1} << bits) - 1));
    }
    case ActKind::Signed: {
      const int64_t v = floor_shift(z, shift), hi = (int64_t{1} << (bits - 1)) - 1;
      return static_cast<int16_t>(std::clamp<int64_t>(v, -hi, hi));
    }
    case ActKind::None: break;
  }
  return 0;
}

StageMemory stage_memory(const Stage& s) {
  const kernels::BsrLayout& l = s.weights.layout;
  const MemoryRule rule{s.constraint.structure, s.constraint.magnitude, s.constraint.per_row_scales, s.weights.bits};
  return accounted_memory(rule, {l.rows, l.cols, kept_in_matrix_elements(l), l.kept_blocks(), l.num_block_rows(),
                                 l.num_block_cols()});
}

}  // namespace bitblock::model
