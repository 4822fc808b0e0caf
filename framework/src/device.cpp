#include "bitblock/framework/device.hpp"

#include "backend/backend.hpp"
#include "bitblock/common/error.hpp"

namespace bitblock {

const char* to_string(Device d) { return d == Device::Cuda ? "cuda" : "cpu"; }

bool cuda_usable(std::string* why) { return backend::cuda_build_usable(why); }

Device resolve_device(DeviceRequest request, const std::string& where, std::string* note) {
  if (note) note->clear();
  if (request == DeviceRequest::Cpu) return Device::Cpu;
  std::string why;
  if (cuda_usable(&why)) return Device::Cuda;
  if (request == DeviceRequest::Cuda) fail_input(where, "cuda requested, but there is no usable CUDA GPU: " + why);
  if (note) *note = "device auto: no usable CUDA GPU (" + why + "), training on the CPU";
  return Device::Cpu;
}

std::string describe(Device d) { return d == Device::Cuda ? backend::cuda_description() : "CPU"; }

}  // namespace bitblock
