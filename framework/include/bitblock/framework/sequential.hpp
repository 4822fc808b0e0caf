#pragma once
// A model as an ordered list of layers. Parameter and buffer names are "<index>.<name>"
// (e.g. "0.weight", "1.running_mean"), the keys the optimizer state and checkpoints use. The
// model holds its execution context (exec_context.hpp): every parameter, buffer and per-step
// tensor of its layers lives there, and its work runs on the context's stream.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bitblock/framework/layer.hpp"

namespace bitblock {

class Sequential {
 public:
  Sequential() = default;

  Layer& add(LayerPtr layer);
  template <typename L, typename... Args>
  L& emplace(Args&&... args) {
    auto layer = std::make_unique<L>(std::forward<Args>(args)...);
    L& ref = *layer;
    add(std::move(layer));
    return ref;
  }

  // Draws the initial weights of every Linear / Conv2d layer from Rng(mix_seed(seed, index)),
  // so a layer's weights do not depend on the layers before it.
  void init(uint64_t seed);

  // x from another context (the host, another model) is copied into the model's context first.
  Tensor forward(const Tensor& x, Context& ctx);
  Tensor backward(const Tensor& grad_y);   // returns the input gradient
  // Training backward: parameter gradients only. Stops at the first layer with parameters and
  // skips its input gradient (nothing consumes the gradient of the data).
  void backward_params(const Tensor& grad_y);
  void zero_grad();
  // Constraint hook after each optimizer step (clips binary latent weights into the STE window).
  void after_optimizer_step();
  // Epoch hook for the constraints (mask drawing / magnitude pruning), before the epoch's first batch.
  void begin_epoch(int epoch);
  // Makes the model's execution context on a device (on a GPU with a stream of its own) and moves
  // every layer's parameters, buffers and state into it (before an optimizer is made: parameter
  // tensors are replaced).
  void to(Device device);
  Device device() const { return context_->device(); }
  const ExecContextPtr& context() const { return context_; }

  std::vector<Param> params();
  std::vector<Buffer> buffers();
  // Per-sample output shape; InputError naming the layer when a shape does not fit.
  Shape output_shape(const Shape& input) const;
  // Per-sample input shape of each layer followed by the final output shape (size() + 1 entries).
  std::vector<Shape> shapes(const Shape& input) const;
  int64_t macs(const Shape& input) const;
  int64_t num_parameters();
  // One line per layer: index, description, output shape, parameters, MACs.
  std::string summary(const Shape& input);

  size_t size() const { return layers_.size(); }
  Layer& layer(size_t i) { return *layers_.at(i); }
  const Layer& layer(size_t i) const { return *layers_.at(i); }
  std::vector<LayerPtr>& layers() { return layers_; }
  const std::vector<LayerPtr>& layers() const { return layers_; }

 private:
  ExecContextPtr context_ = host_context();
  std::vector<LayerPtr> layers_;
};

}  // namespace bitblock
