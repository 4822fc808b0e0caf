// The exported graphs read back with the ONNX schema: on random integer networks (random signs
// of the requantization, every activation kind, ragged blocks, conv with stride and padding,
// both pool placements) the ONNX weights are the dense codes kept aside by the generator, the
// annotations hold the block layout and the row scales, only standard ops appear; the QONNX
// weight quantizers carry the bit widths and its MultiThreshold nodes give the model's own
// activation (model::activate) for every accumulator value the stage can produce. Networks a
// format cannot compute exactly are InputErrors naming the stage. (Whole-test-set exactness in
// ONNX Runtime: tests/interop/run_interop.sh.)
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bitblock/common/error.hpp"
#include "bitblock/interop/onnx_export.hpp"
#include "framework/tiny_mnist.hpp"
#include "model/random_network.hpp"
#include "onnx.pb.h"

namespace bitblock {
namespace {

using model::ActKind;
using model::OpKind;
using testing::StageSpec;
using testing::stage_spec;

onnx::ModelProto parsed(const std::string& bytes) {
  onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromString(bytes));
  return m;
}

const onnx::TensorProto& initializer(const onnx::ModelProto& m, const std::string& name) {
  for (const auto& t : m.graph().initializer())
    if (t.name() == name) return t;
  throw std::runtime_error("no initializer " + name);
}

std::vector<float> floats_of(const onnx::TensorProto& t) { return {t.float_data().begin(), t.float_data().end()}; }

std::map<std::string, std::string> annotation(const onnx::ModelProto& m, const std::string& tensor) {
  std::map<std::string, std::string> out;
  for (const auto& a : m.graph().quantization_annotation())
    if (a.tensor_name() == tensor)
      for (const auto& e : a.quant_parameter_tensor_names()) out[e.key()] = e.value();
  return out;
}

const onnx::NodeProto& node_with_output(const onnx::ModelProto& m, const std::string& out) {
  for (const auto& n : m.graph().node())
    if (n.output(0) == out) return n;
  throw std::runtime_error("no node makes " + out);
}

const onnx::AttributeProto& attribute(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return a;
  throw std::runtime_error(n.op_type() + " has no attribute " + name);
}

// A CNN with every activation kind, pooling on accumulators and on codes, ragged blocks; and an MLP.
std::vector<testing::RandomModel> networks() {
  std::vector<testing::RandomModel> out;
  std::vector<StageSpec> cnn;
  cnn.push_back(stage_spec(OpKind::Conv, 6, 3, 4, 3, 0.7, ActKind::Unsigned, 4));
  cnn.back().pool = {2, 2, model::PoolPlacement::Codes};
  cnn.push_back(stage_spec(OpKind::Conv, 5, 1, 1, 1, 0.6, ActKind::Signed, 3));
  cnn.back().stride = 2;
  cnn.push_back(stage_spec(OpKind::Conv, 8, 2, 3, 5, 0.8, ActKind::Sign, 1));
  cnn.back().pool = {2, 1, model::PoolPlacement::Codes};
  cnn.push_back(stage_spec(OpKind::Dense, 7, 8, 1, 1, 1.0, ActKind::None, 32));
  out.push_back(testing::random_model({2, 11, 11}, model::InputMode::Centered, cnn, 11));
  std::vector<StageSpec> mlp = {stage_spec(OpKind::Dense, 20, 4, 8, 8, 0.5, ActKind::Unsigned, 8),
                                stage_spec(OpKind::Dense, 10, 1, 1, 20, 1.0, ActKind::None, 32)};
  out.push_back(testing::random_model({1, 7, 9}, model::InputMode::Pixel, mlp, 12));
  return out;
}

TEST(OnnxExport, WeightsAreTheCodesWithTheirLayoutAndScales) {
  for (const testing::RandomModel& rm : networks()) {
    const onnx::ModelProto m = parsed(interop::export_onnx(rm.net, interop::Format::Onnx, "net"));
    ASSERT_EQ(m.opset_import_size(), 1);
    EXPECT_EQ(m.opset_import(0).domain(), "");
    EXPECT_EQ(m.opset_import(0).version(), interop::kOnnxOpset);
    for (const auto& n : m.graph().node()) EXPECT_EQ(n.domain(), "") << n.op_type();
    for (size_t k = 0; k < rm.net.stages.size(); ++k) {
      const model::Stage& s = rm.net.stages[k];
      SCOPED_TRACE(s.name);
      const onnx::TensorProto& w = initializer(m, s.name + ".weight");
      ASSERT_EQ(w.data_type(), onnx::TensorProto::UINT8);  // code + 128, zero point 128
      const std::string& raw = w.raw_data();
      const int64_t rows = s.weights.layout.rows, cols = s.weights.layout.cols;
      ASSERT_EQ(static_cast<int64_t>(raw.size()), rows * cols);
      const std::vector<int8_t>& codes = rm.dense_codes[k];
      for (int64_t n = 0; n < rows; ++n)
        for (int64_t c = 0; c < cols; ++c) {
          // MatMul's B is [K, N]; a conv weight is [Cout, Cin*k*k] already.
          const int64_t at = s.op == OpKind::Dense ? c * rows + n : n * cols + c;
          ASSERT_EQ(static_cast<uint8_t>(raw[static_cast<size_t>(at)]) - 128, codes[static_cast<size_t>(n * cols + c)]) << n << "," << c;
        }
      const auto note = annotation(m, s.name + ".weight");
      const nlohmann::json sparsity = nlohmann::json::parse(note.at("tensor_sparsity"));
      EXPECT_EQ(sparsity.at("block_row_ptr").get<std::vector<int32_t>>(), s.weights.layout.block_row_ptr);
      EXPECT_EQ(sparsity.at("block_col_idx").get<std::vector<int32_t>>(), s.weights.layout.block_col_idx);
      EXPECT_EQ(sparsity.at("block"), nlohmann::json({s.weights.layout.block_rows, s.weights.layout.block_cols}));
      EXPECT_EQ(floats_of(initializer(m, note.at("bitblock_row_scale"))), s.weights.row_scales);
    }
  }
}

TEST(OnnxExport, QonnxQuantizersAndThresholdsReproduceTheActivations) {
  for (const testing::RandomModel& rm : networks()) {
    const onnx::ModelProto m = parsed(interop::export_onnx(rm.net, interop::Format::Qonnx, "net"));
    for (size_t k = 0; k < rm.net.stages.size(); ++k) {
      const model::Stage& s = rm.net.stages[k];
      SCOPED_TRACE(s.name);
      const onnx::NodeProto& wq = node_with_output(m, s.name + ".weight_q");
      EXPECT_EQ(wq.domain(), interop::kQonnxDomain);
      if (s.weights.bits == 1) {
        EXPECT_EQ(wq.op_type(), "BipolarQuant");
      } else {
        EXPECT_EQ(wq.op_type(), "Quant");
        EXPECT_EQ(floats_of(initializer(m, wq.input(3))), std::vector<float>{static_cast<float>(s.weights.bits)});
        EXPECT_EQ(attribute(wq, "narrow").i(), 1);
      }
      if (s.act == ActKind::None) continue;
      const onnx::NodeProto& mt = node_with_output(m, s.name + ".act");
      ASSERT_EQ(mt.op_type(), "MultiThreshold");
      const onnx::TensorProto& thr = initializer(m, mt.input(1));
      const int64_t C = thr.dims(0), T = thr.dims(1);
      ASSERT_EQ(C, s.out_channels());
      const std::vector<float> t = floats_of(thr);
      std::vector<float> sign(static_cast<size_t>(C), 1.0f);
      if (mt.input(0) != s.name + ".acc") sign = floats_of(initializer(m, node_with_output(m, mt.input(0)).input(1)));
      const float scale = attribute(mt, "out_scale").f(), bias = attribute(mt, "out_bias").f();
      const int64_t bound = model::accumulator_bound(s, model::stage_input_range(rm.net, k));
      for (int64_t c = 0; c < C; ++c)
        for (int64_t acc = -bound; acc <= bound; ++acc) {
          const float x = sign[static_cast<size_t>(c)] * static_cast<float>(acc);
          int count = 0;
          for (int64_t j = 0; j < T; ++j) count += x >= t[static_cast<size_t>(c * T + j)];
          const int64_t z = acc * s.mult[static_cast<size_t>(c)] + s.bias[static_cast<size_t>(c)];
          ASSERT_EQ(scale * static_cast<float>(count) + bias, model::activate(z, s.act, s.act_bits, s.shift))
              << "channel " << c << " acc " << acc;
        }
    }
  }
}

// A dense stage: rows x cols weights all `code` (8 bits), mult 1, bias 0, then `act`.
model::Stage dense_stage(const std::string& name, int64_t rows, int64_t cols, int code, ActKind act, int act_bits) {
  std::vector<int8_t> codes(static_cast<size_t>(rows * cols), static_cast<int8_t>(code));
  std::vector<uint8_t> mask(codes.size(), 1);
  model::Stage s;
  s.name = name;
  s.input = {static_cast<int>(cols), 1, 1};
  s.weights = kernels::bsr_pack(codes.data(), mask.data(), rows, cols, 1, 1, 8, nullptr);
  s.act = act;
  s.act_bits = act_bits;
  s.mult.assign(static_cast<size_t>(rows), 1);
  s.bias.assign(static_cast<size_t>(rows), 0);
  s.constraint.structure = model::Sparsity::Element;
  return s;
}

model::Network network_of(std::vector<model::Stage> stages) {
  model::Network net;
  net.dataset = "big";
  net.input = {stages[0].input.c, 1, 1};
  net.num_classes = stages.back().out_channels();
  net.stages = std::move(stages);
  return net;
}

TEST(OnnxExport, WhatAFormatCannotComputeExactlyIsAnInputErrorNamingTheStage) {
  // 600 inputs x 127 x 255 > 2^24: QONNX's float32 accumulators would round; ONNX is exact.
  const model::Network wide = network_of({dense_stage("wide", 10, 600, 127, ActKind::None, 32)});
  EXPECT_NO_THROW(interop::export_onnx(wide, interop::Format::Onnx, "wide.bbm"));
  testing_support::expect_input_error([&] { interop::export_onnx(wide, interop::Format::Qonnx, "wide.bbm"); },
                                      {"wide.bbm", "stage 0 (wide)", "2^24"});
  // Signed 8-bit codes (|x| <= 127) enter MatMulInteger as uint8 x + 127 (<= 254): 100000 inputs
  // x 127 x 127 fits int32 in the model, 100000 x 127 x 254 does not in ONNX.
  const model::Network offset = network_of({dense_stage("signed", 100000, 1, 1, ActKind::Signed, 8),
                                            dense_stage("sum", 10, 100000, 127, ActKind::None, 32)});
  EXPECT_NO_THROW(model::validate_network(offset, "offset.bbm"));
  testing_support::expect_input_error([&] { interop::export_onnx(offset, interop::Format::Onnx, "offset.bbm"); },
                                      {"offset.bbm", "stage 1 (sum)", "int32"});
}

}  // namespace
}  // namespace bitblock
