#pragma once
// The test suites' tiny MLP config, without GoogleTest, so the fuzz seed writer (fuzz/make_seeds.cpp)
// uses the same one.

namespace bitblock::testing_support {

// flatten - linear(32, 4-bit, 8x8 blocks 1/2 random) - bn - relu(8 bits, max 4) - dropout -
// linear(10, 4-bit dense) - bn; 2 epochs of 6 batches on 300 images.
inline const char* tiny_mlp_yaml() {
  return R"(name: tiny
seed: 3
data:
  set: mnist
  normalize: {mean: 0.0, std: 1.0}
model:
  layers:
    - {type: flatten}
    - {type: linear, out: 32}
    - {type: batchnorm}
    - {type: act, fn: relu, bits: 8, max: 4.0}
    - {type: dropout, p: 0.1}
    - {type: linear, out: 10}
    - {type: batchnorm}
constraints:
  default: {weight_bits: 4, scale: per_row, structure: block, block: [8, 8], ratio: 2, selection: random}
  last: {structure: none, ratio: 1}
train:
  epochs: 2
  batch_size: 50
  eval_batch_size: 100
  optimizer: {type: adam, lr: 0.01}
  log_every: 1000
)";
}

}  // namespace bitblock::testing_support
