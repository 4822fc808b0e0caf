// hwsim architecture files (YAML) through load_arch.
#include <cstdint>

#include "bitblock/common/error.hpp"
#include "bitblock/hwsim/arch.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bitblock;
  const std::string path = fuzz::write_temp("arch.yaml", fuzz::as_string(data, size));
  try {
    hwsim::load_arch(path);
  } catch (const InputError&) {
  }
  return 0;
}
