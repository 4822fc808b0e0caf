// Builds without CUDA (no nvcc at configure time): the CUDA device is never usable.
#include "backend/backend.hpp"
#include "bitblock/common/error.hpp"

namespace bitblock::backend {

namespace {
constexpr const char* kNoCuda = "this bitblock was built without CUDA (no nvcc when it was configured)";
}

Backend& cuda() { fail_input("device cuda", kNoCuda); }

bool cuda_build_usable(std::string* why) {
  if (why) *why = kNoCuda;
  return false;
}

std::string cuda_description() { return kNoCuda; }

}  // namespace bitblock::backend
