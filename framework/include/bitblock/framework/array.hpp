#pragma once
// Typed storage in an execution context (exec_context.hpp): a std::vector on the host, or a block
// of device memory from the CUDA backend's caching allocator (RAII: freed back to the cache when
// the buffer goes). Large host float buffers are recycled the same way (host_floats below). An
// array holds a shared reference to its context, so the context's stream outlives the memory
// queued on it. Copies are deep and stay in the source's context; to() moves into another
// context. Non-float data of the training step lives here (labels, argmax, masks, layout indices,
// loss totals, the data set).
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "bitblock/framework/exec_context.hpp"

namespace bitblock {

namespace detail {
// Device memory of a context's device (not the CPU) and the transfers between host and device,
// queued on the context's stream, through the device's backend.
void* device_allocate(const ExecContext& c, size_t bytes);
void device_release(const ExecContext& c, void* p);
void device_upload(const ExecContext& c, void* dst, const void* host_src, size_t bytes);
void device_download(const ExecContext& c, void* host_dst, const void* src, size_t bytes);
void device_copy(const ExecContext& c, void* dst, const void* src, size_t bytes);
void device_zero(const ExecContext& c, void* dst, size_t bytes);
// dst (in `to`) = src (in `from`), two contexts on one device: `from`'s queued work first, and
// the copy finished before either side may reuse its block.
void copy_across(const ExecContext& to, void* dst, const ExecContext& from, const void* src, size_t bytes);
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
  // n value-initialized (zero) elements in context c.
  explicit Array(int64_t n, const ExecContextPtr& c = host_context()) : ctx_(c) {
    if (on_host()) {
      if constexpr (kRecycled) take_pooled(n, true);
      else host_.assign(static_cast<size_t>(n), T{});
    } else {
      allocate(n);
      zero();
    }
  }
  explicit Array(std::vector<T> host) : host_(std::move(host)) {}
  // n elements in c that the caller writes next (unspecified values; zeros for host arrays of
  // other types than float).
  static Array uninitialized(int64_t n, const ExecContextPtr& c) {
    if (c->device() == Device::Cpu) {
      if constexpr (kRecycled) {
        Array a;
        a.ctx_ = c;
        a.take_pooled(n, false);
        return a;
      } else {
        return Array(n, c);
      }
    }
    Array a;
    a.ctx_ = c;
    a.allocate(n);
    return a;
  }
  Array(const Array& o) : ctx_(o.ctx_) {
    if (on_host()) {
      if constexpr (kRecycled) {
        take_pooled(o.size(), false);
        std::copy(o.host_.begin(), o.host_.end(), host_.begin());
      } else {
        host_ = o.host_;
      }
    } else {
      allocate(o.size_);
      detail::device_copy(*ctx_, dev_, o.dev_, bytes());
    }
  }
  // The moved-from array stays in its context, empty.
  Array(Array&& o) noexcept
      : ctx_(o.ctx_), host_(std::move(o.host_)), pooled_(std::exchange(o.pooled_, false)),
        dev_(std::exchange(o.dev_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  Array& operator=(const Array& o) {
    if (this != &o) *this = Array(o);
    return *this;
  }
  Array& operator=(Array&& o) noexcept {
    if (this != &o) {
      free_device();
      recycle_host();
      ctx_ = o.ctx_;
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

  Device device() const { return ctx_->device(); }
  const ExecContextPtr& context() const { return ctx_; }
  int64_t size() const { return on_host() ? static_cast<int64_t>(host_.size()) : size_; }
  bool empty() const { return size() == 0; }
  T* data() { return on_host() ? host_.data() : static_cast<T*>(dev_); }
  const T* data() const { return on_host() ? host_.data() : static_cast<const T*>(dev_); }
  size_t bytes() const { return static_cast<size_t>(size()) * sizeof(T); }

  // The host vector; a logic error for device buffers (copy with to_vector()).
  std::vector<T>& host() {
    if (!on_host()) detail::host_only("Array::host");
    return host_;
  }
  const std::vector<T>& host() const {
    if (!on_host()) detail::host_only("Array::host");
    return host_;
  }

  std::vector<T> to_vector() const {
    if (on_host()) return host_;
    std::vector<T> v(static_cast<size_t>(size_));
    detail::device_download(*ctx_, v.data(), dev_, bytes());
    return v;
  }
  // A copy in context c (a plain copy when this array is there already).
  Array to(const ExecContextPtr& c) const {
    if (c == ctx_) return *this;
    if (c->device() == Device::Cpu) {
      Array out(to_vector());
      out.ctx_ = c;
      return out;
    }
    Array out;
    out.ctx_ = c;
    out.allocate(size());
    if (on_host()) detail::device_upload(*c, out.dev_, host_.data(), bytes());
    else detail::copy_across(*c, out.dev_, *ctx_, dev_, bytes());
    return out;
  }
  // Same number of elements; the contexts may differ.
  void copy_from(const Array& src) {
    if (src.size() != size()) throw std::invalid_argument("Array::copy_from: sizes differ");
    if (on_host() && src.on_host()) {
      host_ = src.host_;
    } else if (on_host()) {
      detail::device_download(*src.ctx_, host_.data(), src.dev_, bytes());
    } else if (src.on_host()) {
      detail::device_upload(*ctx_, dev_, src.host_.data(), bytes());
    } else if (src.ctx_ == ctx_) {
      detail::device_copy(*ctx_, dev_, src.dev_, bytes());
    } else {
      detail::copy_across(*ctx_, dev_, *src.ctx_, src.dev_, bytes());
    }
  }
  void assign(const std::vector<T>& values) { copy_from(Array(values)); }
  // The first n elements from host memory (an upload on a device).
  void write(const T* host_values, int64_t n) {
    if (n > size()) throw std::invalid_argument("Array::write: more values than elements");
    if (on_host()) std::copy(host_values, host_values + n, host_.begin());
    else detail::device_upload(*ctx_, dev_, host_values, static_cast<size_t>(n) * sizeof(T));
  }
  // n elements; the contents are unspecified when the size changes (host: the vector's resize).
  void resize(int64_t n) {
    if (on_host()) {
      host_.resize(static_cast<size_t>(n));
    } else if (n != size_) {
      free_device();
      allocate(n);
    }
  }
  // n elements in context c (moving there first when the array is elsewhere); contents
  // unspecified. Host memory serves every CPU context as it is.
  void reset(int64_t n, const ExecContextPtr& c) {
    if (c != ctx_) {
      if (!on_host() || c->device() != Device::Cpu) {
        *this = uninitialized(n, c);
        return;
      }
      ctx_ = c;
    }
    resize(n);
  }
  void zero() {
    if (on_host()) std::fill(host_.begin(), host_.end(), T{});
    else detail::device_zero(*ctx_, dev_, bytes());
  }

 private:
  bool on_host() const { return ctx_->device() == Device::Cpu; }
  void allocate(int64_t n) {
    size_ = n;
    dev_ = n > 0 ? detail::device_allocate(*ctx_, static_cast<size_t>(n) * sizeof(T)) : nullptr;
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
    if (dev_) detail::device_release(*ctx_, dev_);
    dev_ = nullptr;
    size_ = 0;
  }

  static constexpr bool kRecycled = std::is_same_v<T, float>;

  ExecContextPtr ctx_ = host_context();
  std::vector<T> host_;   // on the CPU
  bool pooled_ = false;   // host_ came from detail::host_floats
  void* dev_ = nullptr;   // on other devices
  int64_t size_ = 0;      // elements at dev_
};

}  // namespace bitblock
