#pragma once
// The execution context a model's work runs in: a device and, on a GPU, the CUDA stream its
// work is queued on, which the context owns (made when it is made, destroyed with it). A model
// holds one, made when the model is built (Sequential::context()); every tensor and array holds
// a shared reference to the context it was made in, and an op's outputs are made in its inputs'
// context, so the ops (ops.hpp) find their stream without being told and without a process-wide
// "current stream". Two models on one GPU run on two streams. What is per device (the caching
// allocator, the library handles, the convolution budgets) stays in the device's backend.
// Shared ownership keeps the stream alive as long as any tensor made in it (device memory goes
// back to the allocator on the stream that used it).
#include <memory>

#include "bitblock/framework/device.hpp"
#include "bitblock/kernels/stream.hpp"

namespace bitblock {

class ExecContext {
 public:
  virtual ~ExecContext() = default;
  ExecContext(const ExecContext&) = delete;
  ExecContext& operator=(const ExecContext&) = delete;

  Device device() const { return device_; }
  // The stream this context's work is queued on; null on the CPU.
  virtual cudaStream_t stream() const = 0;

 protected:
  explicit ExecContext(Device device) : device_(device) {}

 private:
  Device device_;
};

using ExecContextPtr = std::shared_ptr<const ExecContext>;

// A new context on device d: on a GPU with a stream of its own (InputError when this build or
// machine has no usable GPU).
ExecContextPtr make_context(Device d);
// The context of host tensors made without one (the CPU; shared by all of them).
const ExecContextPtr& host_context();

// Whether one op may take operands of contexts a and b: the same context, or both on the CPU
// (CPU contexts have no stream, so their work never runs out of order).
inline bool compatible(const ExecContext& a, const ExecContext& b) {
  return &a == &b || (a.device() == Device::Cpu && b.device() == Device::Cpu);
}

}  // namespace bitblock
