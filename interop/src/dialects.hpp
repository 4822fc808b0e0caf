#pragma once
// The two graph emitters behind export_onnx (onnx_export.hpp describes what each produces).
#include <string>

#include "bitblock/model/network.hpp"
#include "graph_builder.hpp"

namespace bitblock::interop {

void emit_onnx_graph(GraphBuilder& g, const model::Network& net, const std::string& where);
void emit_qonnx_graph(GraphBuilder& g, const model::Network& net, const std::string& where);

}  // namespace bitblock::interop
