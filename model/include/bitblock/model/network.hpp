#pragma once
// The integer network a model file (.bbm) holds, defined so that `bitblock eval --model` and
// hwsim compute exactly the same integers.
//
// Input: uint8 image C x H x W (CHW). Input code x0 = pixel (InputMode::Pixel) or 2*pixel-255
// (InputMode::Centered); real value = x0 * input_scale.
// Each stage:
//   1. weight op: dense (K -> N) or conv (Cin,H,W -> Cout, kernel k, stride, zero padding; the
//      weight is viewed as [Cout, Cin*k*k], im2col order c, ky, kx) with BsrWeights codes:
//      acc = x * codes^T in int32 (scales are folded into the requantization).
//   2. optional max-pool on the accumulators (Pool::placement == Acc), defined as picking, per
//      channel, the accumulator whose z (below) is largest: max acc when m_c >= 0, min acc when
//      m_c < 0. Because every activation is non-decreasing in z, this equals pooling the codes
//      after the activation, so both placements are exact; Acc saves requantization work.
//   3. z_c = acc * m_c + b_c (int64; m_c int32, b_c int64), then the activation with a common
//      right shift `shift`:
//        Sign:     code = z >= 0 ? +1 : -1
//        Unsigned: code = clamp(floor(z / 2^shift), 0, 2^bits - 1)
//        Signed:   code = clamp(floor(z / 2^shift), -(2^(bits-1)-1), 2^(bits-1)-1)
//        None:     (final stage) logits = z, class = argmax (lowest index on ties)
//      Rounding to nearest is pre-added into b_c by make_requant.
//   4. optional max-pool on the codes (Pool::placement == Codes).
// Flatten between conv and dense stages is implicit (CHW order). A stage's output codes are the
// next stage's input codes (int16).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bitblock/kernels/bsr.hpp"
#include "bitblock/model/memory.hpp"

namespace bitblock::model {

enum class InputMode { Pixel, Centered };
enum class OpKind { Dense, Conv };
enum class ActKind { Sign, Unsigned, Signed, None };
enum class PoolPlacement { Acc, Codes };

const char* to_string(InputMode m);
const char* to_string(OpKind k);
const char* to_string(ActKind k);
const char* to_string(PoolPlacement p);
// Parsers throw InputError naming `where`.
InputMode parse_input_mode(const std::string& s, const std::string& where);
OpKind parse_op_kind(const std::string& s, const std::string& where);
ActKind parse_act_kind(const std::string& s, const std::string& where);
PoolPlacement parse_pool_placement(const std::string& s, const std::string& where);

struct Shape {
  int c = 0, h = 1, w = 1;
  int64_t size() const { return int64_t{c} * h * w; }  // validate_network keeps this far from overflow
  bool operator==(const Shape& o) const { return c == o.c && h == o.h && w == o.w; }
};

// Max-pool, no padding: out = (in - size) / stride + 1. size 0 = no pool.
struct Pool {
  int size = 0;
  int stride = 0;
  PoolPlacement placement = PoolPlacement::Codes;
  bool active() const { return size > 0; }
};

// The training constraint behind a stage's weights, as the exporter records it. It decides the
// weight memory accounting (stage_memory) and must agree with the weight layout: element = 1x1
// blocks, row = 1 x cols, column = rows x 1, none = every block kept (validate_network).
struct StageConstraint {
  Sparsity structure = Sparsity::Block;
  bool magnitude = false;       // selection: magnitude (gradual pruning) or random (fixed mask)
  bool per_row_scales = true;   // scale: per_row or per_layer
  double ratio = 1.0;           // compression ratio the run asked for (metadata)
};

struct Stage {
  std::string name;
  OpKind op = OpKind::Dense;
  Shape input;                  // dense: {K, 1, 1} (a conv output is flattened CHW)
  int kernel = 1, stride = 1, padding = 0;  // conv only
  kernels::BsrWeights weights;  // rows = output channels, cols = K or Cin*k*k
  Pool pool;
  ActKind act = ActKind::Sign;
  int act_bits = 1;             // Sign: 1; Unsigned: 1..8; Signed: 2..8; None: 32 (logits)
  std::vector<int32_t> mult;    // m_c, one per output channel
  std::vector<int64_t> bias;    // b_c
  int shift = 0;                // 0..62
  StageConstraint constraint;

  int out_channels() const { return static_cast<int>(weights.layout.rows); }
  // Spatial size of the weight op's output (before pooling); dense: 1 x 1.
  int conv_out_h() const;
  int conv_out_w() const;
  Shape pre_pool_shape() const { return {out_channels(), conv_out_h(), conv_out_w()}; }
  Shape output_shape() const;   // after pooling
  int64_t positions() const { return int64_t{conv_out_h()} * conv_out_w(); }
};

struct Network {
  std::string dataset;          // e.g. "mnist" (metadata: which test set eval/hwsim use)
  Shape input;                  // C x H x W of the uint8 image
  InputMode input_mode = InputMode::Pixel;
  double input_scale = 1.0 / 255.0;  // real = code * input_scale (metadata)
  int num_classes = 0;
  std::vector<Stage> stages;
  nlohmann::json training = nlohmann::json::object();  // free-form metadata
};

// Range of the code values a stage's input can take (input codes for stage 0).
struct CodeRange {
  int lo = 0, hi = 0;
  int max_abs() const { return hi > -lo ? hi : -lo; }
};
CodeRange input_code_range(InputMode mode);
CodeRange activation_code_range(ActKind act, int bits);
CodeRange stage_input_range(const Network& net, size_t stage);

// Limits on what a network may claim, so that sizes and the arithmetic on them stay far from
// overflow and an inference's buffers stay allocatable: values per image of any stage's input or
// output (and a weight matrix's rows and columns), an im2col matrix's values, a conv or pool
// window, stride or padding.
constexpr int64_t kMaxStageValues = int64_t{1} << 24;
constexpr int64_t kMaxIm2colValues = int64_t{1} << 28;
constexpr int kMaxWindow = 1 << 16;

// Checks everything a network claims: sizes within the limits above, shapes chain (conv/pool
// arithmetic, dense K == previous output size, final stage is None with num_classes outputs,
// only the final stage is None), parameter sizes, activation bits, the constraint against the
// weight layout, and that no accumulator can overflow int32 and no z can overflow int64 given
// the code ranges. Throws InputError "<where>: stage <k> (<name>): <problem>".
void validate_network(const Network& net, const std::string& where);

// Stage and data set names travel into terminals, CSV and Markdown reports and file names: they
// are 1..64 characters of [A-Za-z0-9_.-] (validate_network checks them at export and at load).
constexpr size_t kMaxNameLength = 64;
constexpr const char* kSafeNameRule = "must be 1..64 characters of A-Z a-z 0-9 _ - .";
bool is_safe_name(const std::string& name);

// Largest |acc| a stage can produce: max over rows of sum_k |code[n][k]| * max|x|.
int64_t accumulator_bound(const Stage& s, const CodeRange& in);

// Fixed-point requantization from real per-channel z_c = A_c * acc + B_c (the pre-activation
// divided by the activation step; for Sign only its sign matters; for None the logits).
// shift is the largest value <= 40 with every |m_c| <= 2^30 and |acc_bound * m_c| + |b_c| <=
// 2^61 (headroom for the sum); m_c = round(A_c * 2^shift), b_c = round(B_c * 2^shift), rounding
// half away from zero. For Unsigned/Signed, 2^(shift-1) is added to b_c so that floor(z /
// 2^shift) rounds A*acc+B half up (to nearest); an exporter whose quantizer floors passes B - 0.5.
struct Requant {
  std::vector<int32_t> mult;
  std::vector<int64_t> bias;
  int shift = 0;
};
Requant make_requant(const std::vector<double>& A, const std::vector<double>& B, ActKind act,
                     int64_t acc_bound);

// The activation of one z (see the header comment); None returns z unchanged.
int64_t floor_shift(int64_t z, int shift);
int16_t activate(int64_t z, ActKind act, int bits, int shift);

// Weight memory of a stage (memory.hpp's accounting) from its weights and constraint.
StageMemory stage_memory(const Stage& s);
int64_t kept_in_matrix_elements(const kernels::BsrLayout& l);

}  // namespace bitblock::model
