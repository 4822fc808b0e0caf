#pragma once
// A float32 tensor: shape + contiguous row-major data in an execution context (array.hpp,
// exec_context.hpp), value semantics. Host tensors expose their values (values(), operator[]);
// device tensors only data(), which the ops (ops.hpp) hand to the kernels of their context's
// device and stream. to() copies into another context.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bitblock/framework/array.hpp"
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
  // Host tensors.
  explicit Tensor(Shape shape, float fill = 0.0f)
      : shape_(std::move(shape)), buf_(std::vector<float>(static_cast<size_t>(shape_numel(shape_)), fill)) {}
  Tensor(Shape shape, std::vector<float> values);
  // Zeros in context c.
  Tensor(Shape shape, const ExecContextPtr& c) : shape_(std::move(shape)), buf_(shape_numel(shape_), c) {}
  // A tensor in c whose every value the caller writes next: unspecified values in every context
  // (on the host a recycled buffer's old ones), so kernels that accumulate into it zero it first.
  static Tensor for_output(Shape shape, const ExecContextPtr& c);

  const Shape& shape() const { return shape_; }
  int64_t dim(int i) const { return shape_[static_cast<size_t>(i < 0 ? i + rank() : i)]; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t numel() const { return buf_.size(); }
  bool empty() const { return buf_.empty(); }
  Device device() const { return buf_.device(); }
  const ExecContextPtr& context() const { return buf_.context(); }

  float* data() { return buf_.data(); }
  const float* data() const { return buf_.data(); }
  // Host tensors only (a logic error on a device: copy with to(host_context()) first).
  float& operator[](int64_t i) { return buf_.host()[static_cast<size_t>(i)]; }
  float operator[](int64_t i) const { return buf_.host()[static_cast<size_t>(i)]; }
  std::vector<float>& values() { return buf_.host(); }
  const std::vector<float>& values() const { return buf_.host(); }

  // A copy in context c (a plain copy when this tensor is there already).
  Tensor to(const ExecContextPtr& c) const;
  // Same data, new shape (numel must match); used for flatten and matrix views.
  Tensor reshaped(Shape shape) const;
  void reshape_inplace(Shape shape);
  // Resize to shape on the same device, keeping the allocation when possible; contents unspecified.
  void resize(const Shape& shape);
  // Resize to shape in context c (moving there first when it lives elsewhere); contents unspecified.
  void reset(const Shape& shape, const ExecContextPtr& c);
  void fill(float v);
  // The values of src (same number of elements; any contexts).
  void copy_from(const Tensor& src);

 private:
  Shape shape_;
  Array<float> buf_;
};

// t itself when it lives on the host, else its values downloaded into copy (host-side policy,
// e.g. magnitude pruning, reads weights this way).
const Tensor& on_host(const Tensor& t, Tensor& copy);

}  // namespace bitblock
