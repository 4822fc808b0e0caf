#pragma once
// Where a model's tensors live and its ops run: the CPU (host memory, the kernels' CPU paths) or
// a CUDA GPU (device memory from the caching allocator, the kernels' CUDA paths on one stream).
// Chosen once, when the model is built (`--device cpu|cuda|auto`, config key train.device).
#include <string>

namespace bitblock {

enum class Device { Cpu, Cuda };
enum class DeviceRequest { Auto, Cpu, Cuda };

const char* to_string(Device d);
const char* to_string(DeviceRequest r);
// "auto" | "cpu" | "cuda"; InputError "<where>: ..." otherwise.
DeviceRequest parse_device(const std::string& s, const std::string& where);

// True when this build has the CUDA backend and a GPU with a working driver is present; otherwise
// false, with *why (when given) saying what is missing.
bool cuda_usable(std::string* why = nullptr);

// auto -> Cuda when cuda_usable(), else Cpu with *note set to one line saying so (empty
// otherwise). cuda without a usable GPU is an InputError naming `where` and the reason.
Device resolve_device(DeviceRequest request, const std::string& where, std::string* note);

// "CPU" or the GPU's name, compute capability and memory.
std::string describe(Device d);

}  // namespace bitblock
