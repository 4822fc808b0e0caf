#pragma once
// Where a model's tensors live and its ops run: the CPU (host memory, the kernels' CPU paths) or
// a CUDA GPU (device memory from the caching allocator, the kernels' CUDA paths on the stream of
// the model's execution context, exec_context.hpp). Chosen once, when the model is built
// (`--device cpu|cuda|auto`, config key train.device).
#include <string>

#include "bitblock/common/enum_names.hpp"

namespace bitblock {

enum class Device { Cpu, Cuda };
enum class DeviceRequest { Auto, Cpu, Cuda };

const char* to_string(Device d);
// The spellings of train.device and --device.
inline constexpr EnumName<DeviceRequest> kDeviceRequestNames[] = {
    {DeviceRequest::Auto, "auto"}, {DeviceRequest::Cpu, "cpu"}, {DeviceRequest::Cuda, "cuda"}};
inline const char* to_string(DeviceRequest r) { return name_of(kDeviceRequestNames, r); }
// InputError "<where>: '<s>' is not one of auto, cpu, cuda" for other names.
inline DeviceRequest parse_device(const std::string& s, const std::string& where) {
  return parse_name(kDeviceRequestNames, s, where);
}

// True when this build has the CUDA backend and a GPU with a working driver is present; otherwise
// false, with *why (when given) saying what is missing.
bool cuda_usable(std::string* why = nullptr);

// auto -> Cuda when cuda_usable(), else Cpu with *note set to one line saying so (empty
// otherwise). cuda without a usable GPU is an InputError naming `where` and the reason.
Device resolve_device(DeviceRequest request, const std::string& where, std::string* note);

// "CPU" or the GPU's name, compute capability and memory.
std::string describe(Device d);

}  // namespace bitblock
