#pragma once
// The layer seam: forward caches what backward needs; backward accumulates parameter
// gradients and returns the input gradient. Parameters and buffers are exposed by name so the
// optimizer, the checkpoint and the exporter can walk them without knowing layer types.
#include <memory>
#include <string>
#include <vector>

#include "bitblock/framework/ops.hpp"
#include "bitblock/framework/tensor.hpp"

namespace bitblock {

class WeightConstraint;
class WeightMatrix;

struct Param {
  std::string name;     // e.g. "weight", "bias", "gamma"; the model prefixes "<index>."
  Tensor* value;
  Tensor* grad;
  bool decay;           // weight decay applies (weights yes; biases and BN no)
};

struct Buffer {          // non-learned state saved in checkpoints (BN running stats)
  std::string name;
  Tensor* value;
};

struct Context {
  bool training = true;
  RandomStream* rng = nullptr;  // dropout draws from it (seeded per batch by the trainer)
};

class Layer {
 public:
  virtual ~Layer() = default;
  virtual std::string kind() const = 0;          // "linear", "conv2d", "batchnorm", ...
  virtual std::string describe() const = 0;      // one line for summaries
  virtual Shape output_shape(const Shape& input) const = 0;  // per-sample shapes (no batch)
  virtual Tensor forward(const Tensor& x, Context& ctx) = 0;  // x: [batch, ...]
  // Forward of an input nothing else needs afterwards (Sequential's results between layers):
  // a layer that keeps its input for backward may take it instead of copying it.
  virtual Tensor forward_taking(Tensor&& x, Context& ctx) { return forward(x, ctx); }
  virtual Tensor backward(const Tensor& grad_y) = 0;          // after forward (training)
  // Backward when nothing needs the input gradient (the network's first layer with parameters):
  // parameter gradients only. Weight layers override it to skip the input-gradient product.
  virtual void backward_params(const Tensor& grad_y) { backward(grad_y); }
  virtual std::vector<Param> params() { return {}; }
  virtual std::vector<Buffer> buffers() { return {}; }
  // The weight part of a weight layer (Linear, Conv2d; weight_matrix.hpp): weights, bias,
  // constraint and its hooks, kernel path, init. Null for layers without weights.
  virtual WeightMatrix* weights() { return nullptr; }
  // The weight part's constraint: null for float weights and for layers without weights.
  WeightConstraint* constraint();
  // Multiply-accumulates per sample of one forward pass, counting only kept weights.
  virtual int64_t macs(const Shape& /*input*/) const { return 0; }
  // Moves parameters, buffers and per-step state into an execution context (the model's, made
  // once when it is built); forward then takes inputs in that context, and its outputs are made
  // there.
  virtual void to(const ExecContextPtr& /*ctx*/) {}
};

using LayerPtr = std::unique_ptr<Layer>;

}  // namespace bitblock
