#include "bitblock/framework/tensor.hpp"

#include <algorithm>
#include <stdexcept>

#include "backend/backend.hpp"
#include "bitblock/kernels/elementwise.hpp"

namespace bitblock {

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += "x";
    out += std::to_string(s[i]);
  }
  return out + "]";
}

Tensor::Tensor(Shape shape, std::vector<float> values) : shape_(std::move(shape)), buf_(std::move(values)) {
  if (buf_.size() != shape_numel(shape_))
    throw std::invalid_argument("Tensor: " + std::to_string(buf_.size()) + " values for shape " + shape_str(shape_));
}

Tensor Tensor::for_output(Shape shape, Device device) {
  Tensor t;
  t.shape_ = std::move(shape);
  t.buf_ = Array<float>::uninitialized(shape_numel(t.shape_), device);
  return t;
}

void Tensor::reset(const Shape& shape, Device device) {
  if (device != this->device()) *this = for_output(shape, device);
  else resize(shape);
}

Tensor Tensor::to(Device d) const {
  Tensor t;
  t.shape_ = shape_;
  t.buf_ = buf_.to(d);
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  Tensor t = *this;
  t.reshape_inplace(std::move(shape));
  return t;
}

void Tensor::reshape_inplace(Shape shape) {
  if (shape_numel(shape) != numel())
    throw std::invalid_argument("Tensor::reshape: " + shape_str(shape_) + " -> " + shape_str(shape));
  shape_ = std::move(shape);
}

void Tensor::resize(const Shape& shape) {
  shape_ = shape;
  buf_.resize(shape_numel(shape));
}

void Tensor::fill(float v) {
  if (device() == Device::Cpu) std::fill(buf_.host().begin(), buf_.host().end(), v);
  else BITBLOCK_RUN(backend::of(device()), fill, numel(), v, data());
}

void Tensor::copy_from(const Tensor& src) {
  if (src.numel() != numel())
    throw std::invalid_argument("Tensor::copy_from: " + shape_str(src.shape()) + " into " + shape_str(shape_));
  buf_.copy_from(src.buf_);
}

const Tensor& on_host(const Tensor& t, Tensor& copy) {
  if (t.device() == Device::Cpu) return t;
  copy = t.to(Device::Cpu);
  return copy;
}

}  // namespace bitblock
