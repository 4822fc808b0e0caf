#pragma once
// The per-stage steps around the weight product, shared by integer inference and hwsim's
// datapath so both implement the network definition (network.hpp) once: input coding, im2col,
// pooling and requantization. Feature maps are CHW per image; accumulators of a stage are
// C x P (P = output positions, 1 for dense).
#include <cstdint>
#include <vector>

#include "bitblock/model/network.hpp"

namespace bitblock::model {

// Input codes (n x C*H*W int16) from uint8 images: pixel or 2*pixel-255.
void input_codes(InputMode mode, const uint8_t* images, int64_t count, int16_t* codes);

// One image: cols[p][(c*k + ky)*k + kx] = x[c][oy*stride + ky - pad][ox*stride + kx - pad]
// (0 outside), p = oy*out_w + ox. cols holds P x Cin*k*k int16.
void im2col(const Stage& s, const int16_t* x, int16_t* cols);

// From one image's accumulators (C x P, P = pre-pool positions) to the stage output:
// pool on acc (if placed there), requantize + activate, pool on codes (if placed there).
// Non-final stages write output_shape().size() codes; the final stage writes as many logits.
void finish_stage(const Stage& s, const int32_t* acc, int16_t* codes, int64_t* logits);

// argmax with the lowest index on ties.
int32_t argmax(const int64_t* logits, int n);

}  // namespace bitblock::model
