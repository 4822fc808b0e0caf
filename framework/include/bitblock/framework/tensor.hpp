#pragma once
// A float32 tensor on the host: shape + contiguous row-major data, value semantics.
// Layers never touch the storage layout directly beyond data(); the CUDA backend adds a
// device-resident counterpart behind the same ops seam (see ops.hpp).
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bitblock/common/checked.hpp"

namespace bitblock {

using Shape = std::vector<int64_t>;

std::string shape_str(const Shape& s);
// Shapes from configs and checkpoints are validated before tensors are made of them; a product
// that still does not fit int64 is a bug, reported rather than wrapped.
inline int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) {
    const std::optional<int64_t> m = try_mul(n, d);
    if (!m) throw std::length_error("shape " + shape_str(s) + " has more elements than int64 holds");
    n = *m;
  }
  return n;
}

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Shape shape, float fill = 0.0f)
      : shape_(std::move(shape)), data_(static_cast<size_t>(shape_numel(shape_)), fill) {}
  Tensor(Shape shape, std::vector<float> values);

  const Shape& shape() const { return shape_; }
  int64_t dim(int i) const { return shape_[static_cast<size_t>(i < 0 ? i + rank() : i)]; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t numel() const { return static_cast<int64_t>(data_.size()); }
  bool empty() const { return data_.empty(); }

  float* data() { return data_.data(); }
  const float* data() const { return data_.data(); }
  float& operator[](int64_t i) { return data_[static_cast<size_t>(i)]; }
  float operator[](int64_t i) const { return data_[static_cast<size_t>(i)]; }
  std::vector<float>& values() { return data_; }
  const std::vector<float>& values() const { return data_; }

  // Same data, new shape (numel must match); used for flatten and matrix views.
  Tensor reshaped(Shape shape) const;
  void reshape_inplace(Shape shape);
  // Resize to shape, keeping the allocation when possible; contents unspecified.
  void resize(const Shape& shape);
  void fill(float v);

 private:
  Shape shape_;
  std::vector<float> data_;
};

}  // namespace bitblock
