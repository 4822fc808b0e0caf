#pragma once
// Typed storage on a device: a std::vector on the host, or a block of device memory from the CUDA
// backend's caching allocator (RAII: freed back to the cache when the buffer goes). Large host
// float buffers are recycled the same way (host_floats below). Copies are
// deep and stay on the source's device; to() moves between devices. Non-float data of the
// training step lives here (labels, argmax, masks, layout indices, loss totals, the data set).
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "bitblock/framework/device.hpp"

namespace bitblock {

namespace detail {
// Device memory of `d` (d != Cpu) and the transfers between host and device, through the backend.
void* device_allocate(Device d, size_t bytes);
void device_release(Device d, void* p);
void device_upload(Device d, void* dst, const void* host_src, size_t bytes);
void device_download(Device d, void* host_dst, const void* src, size_t bytes);
void device_copy(Device d, void* dst, const void* src, size_t bytes);
void device_zero(Device d, void* dst, size_t bytes);
[[noreturn]] void host_only(const char* what);
// Host float buffers recycled between arrays (backend/host_pool.cpp): a vector of exactly n
// floats, zeros when `zeroed`, else unspecified values (a recycled buffer's old ones).
std::vector<float> host_floats(size_t n, bool zeroed);
// Takes v's buffer for host_floats when it is worth keeping (v is left empty then).
void recycle_host_floats(std::vector<float>& v);
}  // namespace detail

template <typename T>
class Array {
 public:
  Array() = default;
  // n value-initialized (zero) elements on d.
  explicit Array(int64_t n, Device d = Device::Cpu) : device_(d) {
    if (d == Device::Cpu) {
      if constexpr (kRecycled) take_pooled(n, true);
      else host_.assign(static_cast<size_t>(n), T{});
    } else {
      allocate(n);
      zero();
    }
  }
  explicit Array(std::vector<T> host) : host_(std::move(host)) {}
  // n elements on d that the caller writes next (unspecified values; zeros for host arrays of
  // other types than float).
  static Array uninitialized(int64_t n, Device d) {
    if (d == Device::Cpu) {
      if constexpr (kRecycled) {
        Array a;
        a.take_pooled(n, false);
        return a;
      } else {
        return Array(n);
      }
    }
    Array a;
    a.device_ = d;
    a.allocate(n);
    return a;
  }
  Array(const Array& o) : device_(o.device_) {
    if (device_ == Device::Cpu) {
      if constexpr (kRecycled) {
        take_pooled(o.size(), false);
        std::copy(o.host_.begin(), o.host_.end(), host_.begin());
      } else {
        host_ = o.host_;
      }
    } else {
      allocate(o.size_);
      detail::device_copy(device_, dev_, o.dev_, bytes());
    }
  }
  Array(Array&& o) noexcept
      : device_(o.device_), host_(std::move(o.host_)), pooled_(std::exchange(o.pooled_, false)),
        dev_(std::exchange(o.dev_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  Array& operator=(const Array& o) {
    if (this != &o) *this = Array(o);
    return *this;
  }
  Array& operator=(Array&& o) noexcept {
    if (this != &o) {
      free_device();
      recycle_host();
      device_ = o.device_;
      host_ = std::move(o.host_);
      pooled_ = std::exchange(o.pooled_, false);
      dev_ = std::exchange(o.dev_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  ~Array() {
    free_device();
    recycle_host();
  }

  Device device() const { return device_; }
  int64_t size() const { return device_ == Device::Cpu ? static_cast<int64_t>(host_.size()) : size_; }
  bool empty() const { return size() == 0; }
  T* data() { return device_ == Device::Cpu ? host_.data() : static_cast<T*>(dev_); }
  const T* data() const { return device_ == Device::Cpu ? host_.data() : static_cast<const T*>(dev_); }
  size_t bytes() const { return static_cast<size_t>(size()) * sizeof(T); }

  // The host vector; a logic error for device buffers (copy with to_vector()).
  std::vector<T>& host() {
    if (device_ != Device::Cpu) detail::host_only("Array::host");
    return host_;
  }
  const std::vector<T>& host() const {
    if (device_ != Device::Cpu) detail::host_only("Array::host");
    return host_;
  }

  std::vector<T> to_vector() const {
    if (device_ == Device::Cpu) return host_;
    std::vector<T> v(static_cast<size_t>(size_));
    detail::device_download(device_, v.data(), dev_, bytes());
    return v;
  }
  Array to(Device d) const {
    if (d == device_) return *this;
    if (d == Device::Cpu) return Array(to_vector());
    Array out;
    out.device_ = d;
    out.allocate(size());
    detail::device_upload(d, out.dev_, host_.data(), bytes());  // host -> device (one of them is the host)
    return out;
  }
  // Same number of elements; the devices may differ.
  void copy_from(const Array& src) {
    if (src.size() != size()) throw std::invalid_argument("Array::copy_from: sizes differ");
    if (device_ == Device::Cpu && src.device_ == Device::Cpu) {
      host_ = src.host_;
    } else if (device_ == Device::Cpu) {
      detail::device_download(src.device_, host_.data(), src.dev_, bytes());
    } else if (src.device_ == Device::Cpu) {
      detail::device_upload(device_, dev_, src.host_.data(), bytes());
    } else {
      detail::device_copy(device_, dev_, src.dev_, bytes());
    }
  }
  void assign(const std::vector<T>& values) { copy_from(Array(values)); }
  // The first n elements from host memory (an upload on a device).
  void write(const T* host_values, int64_t n) {
    if (n > size()) throw std::invalid_argument("Array::write: more values than elements");
    if (device_ == Device::Cpu) std::copy(host_values, host_values + n, host_.begin());
    else detail::device_upload(device_, dev_, host_values, static_cast<size_t>(n) * sizeof(T));
  }
  // n elements; the contents are unspecified when the size changes (host: the vector's resize).
  void resize(int64_t n) {
    if (device_ == Device::Cpu) {
      host_.resize(static_cast<size_t>(n));
    } else if (n != size_) {
      free_device();
      allocate(n);
    }
  }
  // n elements on d (moving there first when the array lives elsewhere); contents unspecified.
  void reset(int64_t n, Device d) {
    if (d != device_) *this = uninitialized(n, d);
    else resize(n);
  }
  void zero() {
    if (device_ == Device::Cpu) std::fill(host_.begin(), host_.end(), T{});
    else detail::device_zero(device_, dev_, bytes());
  }

 private:
  void allocate(int64_t n) {
    size_ = n;
    dev_ = n > 0 ? detail::device_allocate(device_, static_cast<size_t>(n) * sizeof(T)) : nullptr;
  }
  // Only buffers taken from the pool go back to it: the pool then holds at most what the
  // program has dropped of what it took, and other vectors are freed as they always were.
  void take_pooled(int64_t n, bool zeroed) {
    host_ = detail::host_floats(static_cast<size_t>(n), zeroed);
    pooled_ = true;
  }
  void recycle_host() {
    if constexpr (kRecycled) {
      if (pooled_) detail::recycle_host_floats(host_);
      pooled_ = false;
    }
  }
  void free_device() {
    if (dev_) detail::device_release(device_, dev_);
    dev_ = nullptr;
    size_ = 0;
  }

  static constexpr bool kRecycled = std::is_same_v<T, float>;

  Device device_ = Device::Cpu;
  std::vector<T> host_;   // Device::Cpu
  bool pooled_ = false;   // host_ came from detail::host_floats
  void* dev_ = nullptr;   // other devices
  int64_t size_ = 0;      // elements at dev_
};

}  // namespace bitblock
