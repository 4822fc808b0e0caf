// Array's device memory and transfers, through the device's backend.
#include "bitblock/framework/array.hpp"

#include <string>

#include "backend/backend.hpp"

namespace bitblock::detail {

void* device_allocate(Device d, size_t bytes) { return backend::of(d).allocate(bytes); }
void device_release(Device d, void* p) { backend::of(d).release(p); }
void device_upload(Device d, void* dst, const void* host_src, size_t bytes) {
  backend::of(d).upload(dst, host_src, bytes);
}
void device_download(Device d, void* host_dst, const void* src, size_t bytes) {
  backend::of(d).download(host_dst, src, bytes);
}
void device_copy(Device d, void* dst, const void* src, size_t bytes) { backend::of(d).copy(dst, src, bytes); }
void device_zero(Device d, void* dst, size_t bytes) { backend::of(d).zero(dst, bytes); }

void host_only(const char* what) {
  throw std::logic_error(std::string(what) + ": the values live on a device; copy them to the host first");
}

}  // namespace bitblock::detail
