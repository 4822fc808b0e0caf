// Array's device memory and transfers, through the device's backend on the context's stream; the
// execution contexts (exec_context.hpp), made by the backends.
#include "bitblock/framework/array.hpp"

#include <string>

#include "backend/backend.hpp"

namespace bitblock {

ExecContextPtr make_context(Device d) { return backend::of(d).make_context(); }

const ExecContextPtr& host_context() {
  static const ExecContextPtr host = backend::cpu().make_context();
  return host;
}

namespace detail {

void* device_allocate(const ExecContext& c, size_t bytes) {
  return backend::of(c.device()).allocate(bytes, c.stream());
}
void device_release(const ExecContext& c, void* p) { backend::of(c.device()).release(p); }
void device_upload(const ExecContext& c, void* dst, const void* host_src, size_t bytes) {
  backend::of(c.device()).upload(dst, host_src, bytes, c.stream());
}
void device_download(const ExecContext& c, void* host_dst, const void* src, size_t bytes) {
  backend::of(c.device()).download(host_dst, src, bytes, c.stream());
}
void device_copy(const ExecContext& c, void* dst, const void* src, size_t bytes) {
  backend::of(c.device()).copy(dst, src, bytes, c.stream());
}
void device_zero(const ExecContext& c, void* dst, size_t bytes) {
  backend::of(c.device()).zero(dst, bytes, c.stream());
}
void copy_across(const ExecContext& to, void* dst, const ExecContext& from, const void* src, size_t bytes) {
  backend::Backend& be = backend::of(to.device());
  be.synchronize(from.stream());
  be.copy(dst, src, bytes, to.stream());
  be.synchronize(to.stream());
}

void host_only(const char* what) {
  throw std::logic_error(std::string(what) + ": the values live on a device; copy them to the host first");
}

}  // namespace detail
}  // namespace bitblock
