#pragma once
// `bitblock hwsim --emit-rtl DIR`: what a hardware designer needs to verify an RTL
// implementation against bitblock.
//   weight_b<k>.hex, index_b<k>.hex, param_b<k>.hex: each bank of the weight, index and parameter
//     SRAMs in the simulated layout (sram.hpp): $readmemh files, one word (word_bits, hex, most
//     significant digit first) per line, line = address within the bank (the bank's macros
//     stacked: macro m holds addresses m x depth .. (m + 1) x depth - 1). A stage's streams start
//     on a new row; stream word i lies in bank i % banks at row (the stage's first row + i / banks);
//     bit j of a stream word is stream bit word_bits x i + j. Streams, LSB first:
//       weights: the model file's packed codes (kernels/codes.hpp), kept blocks in CSR order;
//       index: row_ptr[0], then per block-row i row_ptr[i + 1] followed by the column index of
//         each of its kept blocks (index_ptr_bits / index_col_bits each; empty when nothing is
//         dropped);
//       parameters: per output channel m_c (32-bit two's complement) then b_c (64-bit).
//   input.hex: every image's input codes (16-bit two's complement, one per line, image after image).
//   golden_s<k>.hex: stage k's output codes of every image (16-bit; the final stage: 64-bit logits).
//   tb_params.vh: Verilog localparams of stage 0 and the layout (included by hwsim/rtl/tb_stage0.v).
//   manifest.json: the layout and every stage's shapes, widths, activation and stream positions.
#include <cstdint>
#include <string>

#include "bitblock/hwsim/arch.hpp"
#include "bitblock/model/network.hpp"

namespace bitblock::hwsim {

// Writes the files above for the first `count` images (files atomic; dir created). The model
// must fit the arch (check_model_fits).
void emit_rtl(const std::string& dir, const model::Network& net, const Arch& a, const uint8_t* images, int64_t count);

}  // namespace bitblock::hwsim
