#include "bitblock/framework/sequential.hpp"

#include <utility>

#include "bitblock/common/error.hpp"
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

Tensor Sequential::forward(const Tensor& x, Context& ctx) {
  if (x.context() != context_) return forward(x.to(context_), ctx);
  if (layers_.empty()) return x;
  Tensor h = layers_[0]->forward(x, ctx);
  for (size_t i = 1; i < layers_.size(); ++i) h = layers_[i]->forward_taking(std::move(h), ctx);
  return h;
}

Tensor Sequential::backward(const Tensor& grad_y) {
  if (layers_.empty()) return grad_y;
  Tensor g = layers_.back()->backward(grad_y);
  for (size_t i = layers_.size() - 1; i-- > 0;) g = layers_[i]->backward(g);
  return g;
}

void Sequential::backward_params(const Tensor& grad_y) {
  size_t first = 0;
  while (first < layers_.size() && layers_[first]->params().empty()) ++first;
  if (first == layers_.size()) return;
  Tensor g = grad_y;
  for (size_t i = layers_.size() - 1; i > first; --i) g = layers_[i]->backward(g);
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
