#pragma once
// Pieces both dialects emit the same way: weight tensors in ONNX layout, per-channel constants,
// the int64 requantization z = acc * m + b, max-pool as strided Slice + Max (exact for any
// element type ONNX Runtime's Max takes), the logits outputs, annotations and metadata.
#include <cstdint>
#include <string>
#include <vector>

#include "bitblock/model/network.hpp"
#include "graph_builder.hpp"

namespace bitblock::interop {

// Weight codes of stage s in the weight op's ONNX layout: dense [K, N] (MatMul's B, transposed),
// conv [Cout, Cin, k, k] (the model's im2col order c, ky, kx is OIHW). Zeros outside kept blocks.
std::vector<int8_t> weight_tensor(const model::Stage& s);
std::vector<int64_t> weight_dims(const model::Stage& s);
// Dims that broadcast one value per output channel over the weight op's output: [1, N] or [1, N, 1, 1].
std::vector<int64_t> channel_dims(const model::Stage& s);

// int64 z = acc * m + b of a stage (acc: int64 weight-op output, pre-pool).
std::string requantize(GraphBuilder& g, const std::string& acc, const model::Stage& s, const std::string& base);

// Max-pool (no padding) of an NCHW tensor of stage s's pre-pool spatial size.
std::string slice_max_pool(GraphBuilder& g, const std::string& x, const model::Stage& s, const std::string& base);

// The final stage's z (int64, pre-pool) -> pool -> [N, classes] as outputs "logits_int64" and "logits".
void logits_outputs(GraphBuilder& g, const std::string& z, const model::Network& net);

// Annotation of a stage's weight tensor: tensor_sparsity (sparsity_annotation JSON, the key and
// dict form of qonnx ModelWrapper.get_tensor_sparsity), the
// name of the "<stage>.row_scale" initializer holding the model file's dequantization scales,
// and extra key/value pairs (QONNX: finn_datatype).
void annotate_weight(GraphBuilder& g, const std::string& tensor, const model::Stage& s,
                     const std::vector<std::pair<std::string, std::string>>& extra = {});
// Annotation of any tensor (finn_datatype of activations).
void annotate(GraphBuilder& g, const std::string& tensor, const std::string& key, const std::string& value);

// Stage k's label in error messages: "stage k (name)".
std::string stage_label(const model::Network& net, size_t k);

}  // namespace bitblock::interop
