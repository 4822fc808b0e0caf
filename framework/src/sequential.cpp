#include "bitblock/framework/sequential.hpp"

#include <utility>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/activation.hpp"
#include "bitblock/framework/batchnorm.hpp"
#include "bitblock/framework/weight_matrix.hpp"

namespace bitblock {

Layer& Sequential::add(LayerPtr layer) {
  if (!layer) throw std::invalid_argument("Sequential::add: null layer");
  layers_.push_back(std::move(layer));
  return *layers_.back();
}

void Sequential::init(uint64_t seed) {
  for (size_t i = 0; i < layers_.size(); ++i) {
    Rng rng(mix_seed(seed, i));
    if (WeightMatrix* w = layers_[i]->weights()) w->init(rng);
  }
}

namespace {
// Batch norm then an activation run as one pass (BatchNorm::forward_activated): the activation's
// input is never written out and read back, nor is its gradient gated in a pass of its own. The
// batch norm of such a pair at i, else null; its activation's settings into *act.
BatchNorm* fused_pair(const std::vector<LayerPtr>& layers, size_t i, kernels::ActSpec* act = nullptr) {
  if (i + 1 >= layers.size()) return nullptr;
  auto* bn = dynamic_cast<BatchNorm*>(layers[i].get());
  const auto* a = dynamic_cast<const Activation*>(layers[i + 1].get());
  if (!bn || !a) return nullptr;
  if (act) *act = {a->fn(), a->bits(), a->max()};
  return bn;
}
}  // namespace

Tensor Sequential::forward(const Tensor& x, Context& ctx) {
  if (x.context() != context_) return forward(x.to(context_), ctx);
  if (layers_.empty()) return x;
  Tensor h;
  for (size_t i = 0; i < layers_.size(); ++i) {
    kernels::ActSpec act;
    if (BatchNorm* bn = fused_pair(layers_, i, &act)) {
      h = bn->forward_activated(i == 0 ? x : h, ctx, act);
      ++i;  // the activation ran inside
    } else {
      h = i == 0 ? layers_[0]->forward(x, ctx) : layers_[i]->forward_taking(std::move(h), ctx);
    }
  }
  return h;
}

Tensor Sequential::backward(const Tensor& grad_y) {
  if (layers_.empty()) return grad_y;
  Tensor g;
  for (size_t i = layers_.size(); i-- > 0;) {
    const Tensor& in = i + 1 == layers_.size() ? grad_y : g;
    if (i > 0 && fused_pair(layers_, i - 1)) --i;  // the pair's batch norm gates the activation's gradient
    g = layers_[i]->backward(in);
  }
  return g;
}

void Sequential::backward_params(const Tensor& grad_y) {
  size_t first = 0;
  while (first < layers_.size() && layers_[first]->params().empty()) ++first;
  if (first == layers_.size()) return;
  Tensor g = grad_y;
  for (size_t i = layers_.size() - 1; i > first; --i) {
    if (fused_pair(layers_, i - 1)) {
      g = layers_[--i]->backward(g);
      if (i == first) return;  // the pair's batch norm was the first layer with parameters
      continue;
    }
    g = layers_[i]->backward(g);
  }
  layers_[first]->backward_params(g);
}

void Sequential::zero_grad() {
  for (auto& layer : layers_)
    for (Param& p : layer->params()) p.grad->fill(0.0f);
}

void Sequential::after_optimizer_step() {
  for (auto& layer : layers_)
    if (WeightMatrix* w = layer->weights()) w->after_optimizer_step();
}

void Sequential::begin_epoch(int epoch) {
  for (auto& layer : layers_)
    if (WeightMatrix* w = layer->weights()) w->begin_epoch(epoch);
}

void Sequential::to(Device device) {
  context_ = make_context(device);
  for (auto& layer : layers_) layer->to(context_);
}

std::vector<Param> Sequential::params() {
  std::vector<Param> all;
  for (size_t i = 0; i < layers_.size(); ++i)
    for (Param p : layers_[i]->params()) {
      p.name = std::to_string(i) + "." + p.name;
      all.push_back(p);
    }
  return all;
}

std::vector<Buffer> Sequential::buffers() {
  std::vector<Buffer> all;
  for (size_t i = 0; i < layers_.size(); ++i)
    for (Buffer b : layers_[i]->buffers()) {
      b.name = std::to_string(i) + "." + b.name;
      all.push_back(b);
    }
  return all;
}

std::vector<Shape> Sequential::shapes(const Shape& input) const {
  std::vector<Shape> out{input};
  for (size_t i = 0; i < layers_.size(); ++i) {
    try {
      out.push_back(layers_[i]->output_shape(out.back()));
    } catch (const InputError& e) {
      fail_input("model layer " + std::to_string(i) + " (" + layers_[i]->describe() + ")", e.what());
    }
  }
  return out;
}

Shape Sequential::output_shape(const Shape& input) const { return shapes(input).back(); }

int64_t Sequential::macs(const Shape& input) const {
  const std::vector<Shape> s = shapes(input);
  int64_t total = 0;
  for (size_t i = 0; i < layers_.size(); ++i) total += layers_[i]->macs(s[i]);
  return total;
}

int64_t Sequential::num_parameters() {
  int64_t n = 0;
  for (const Param& p : params()) n += p.value->numel();
  return n;
}

std::string Sequential::summary(const Shape& input) {
  const std::vector<Shape> s = shapes(input);
  std::string out;
  for (size_t i = 0; i < layers_.size(); ++i) {
    int64_t n = 0;
    for (const Param& p : layers_[i]->params()) n += p.value->numel();
    out += std::to_string(i) + ": " + layers_[i]->describe() + " -> " + shape_str(s[i + 1]) + ", params " +
           std::to_string(n) + ", macs " + std::to_string(layers_[i]->macs(s[i])) + "\n";
  }
  return out;
}

}  // namespace bitblock
