#pragma once
// A model file's integer network (model/network.hpp) as an ONNX model, in two dialects.
//
// Onnx (standard domain only, opset kOnnxOpset, no custom ops), bit-exact in ONNX Runtime:
//   input  "pixels"       float32 [N, C, H, W], raw values 0..255 (cast to uint8 inside);
//   output "logits_int64" int64   [N, classes]: exactly the integer logits of `bitblock eval
//                         --model` (z of the final stage, network.hpp);
//   output "logits"       float32 [N, classes]: the same integers cast to float32 (exact while
//                         |z| < 2^24; z carries the final stage's `shift` fraction bits, so the
//                         real-valued logit is logits / 2^shift, recorded in metadata).
//   Each weight op is MatMulInteger / ConvInteger on uint8 input codes x uint8 weights (code + 128,
//   zero point 128; dropped weights are code 0) with int32 accumulation, then int64 requantization z = acc * m + b and the
//   activation as integer ops (floor division, Clip / Where), pooling as strided Slice + Max.
// Qonnx (FINN / hls4ml dialect, docs/interop.md): float32 tensors holding integer codes, weight
//   codes through Quant (k-bit) / BipolarQuant (binary) nodes, MatMul / Conv, requantization plus
//   activation as MultiThreshold with integer thresholds, activation codes through Quant /
//   BipolarQuant, MaxPool, and the final stage's requantization as the same int64 tail as Onnx.
//   Exact while every accumulator stays below 2^24 (checked).
// Both carry, per weight tensor, the sparsity annotation (sparsity_annotation) and the model
// file's dequantization scales (a "<stage>.row_scale" initializer named in the annotation).
#include <string>

#include <nlohmann/json.hpp>

#include "bitblock/model/network.hpp"

namespace bitblock::interop {

enum class Format { Onnx, Qonnx };
const char* to_string(Format f);

constexpr int kOnnxOpset = 13;
constexpr int kOnnxIrVersion = 7;
constexpr const char* kQonnxDomain = "qonnx.custom_op.general";

// Serialized ModelProto. Throws InputError "<where>: stage <k> (<name>): <reason>" for a network
// the format cannot compute exactly (a uint8-offset accumulator beyond int32; for Qonnx an
// accumulator beyond 2^24).
std::string export_onnx(const model::Network& net, Format format, const std::string& where);

// export_onnx written atomically to path (nothing is written when it throws).
void save_onnx(const model::Network& net, Format format, const std::string& path);

// The sparsity structure of a stage's weights, so a downstream flow can skip dropped weights:
// {"structure": none|element|row|column|block, "block": [R, C], "rows", "cols",
//  "kept_blocks", "ratio", "selection", "block_row_ptr": [...], "block_col_idx": [...]}
// (kept blocks in CSR order over the ceil(rows/R) x ceil(cols/C) block grid, left out for
// structure none, where every block is kept; weights outside
// kept blocks are zero in the exported tensor).
nlohmann::json sparsity_annotation(const model::Stage& s);

}  // namespace bitblock::interop
