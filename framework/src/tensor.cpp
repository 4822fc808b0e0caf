#include "bitblock/framework/tensor.hpp"

#include <algorithm>
#include <stdexcept>

namespace bitblock {

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += "x";
    out += std::to_string(s[i]);
  }
  return out + "]";
}

Tensor::Tensor(Shape shape, std::vector<float> values) : shape_(std::move(shape)), data_(std::move(values)) {
  if (static_cast<int64_t>(data_.size()) != shape_numel(shape_))
    throw std::invalid_argument("Tensor: " + std::to_string(data_.size()) + " values for shape " + shape_str(shape_));
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
  data_.resize(static_cast<size_t>(shape_numel(shape)));
}

void Tensor::fill(float v) { std::fill(data_.begin(), data_.end(), v); }

}  // namespace bitblock
