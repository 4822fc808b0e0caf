// hwsim architecture files (YAML) through load_arch, then what simulate does with one before any
// model is read: price its SRAM macros and check its supply and clock against the shipped 40nm
// technology. An architecture that passes must have a finite, positive clock limit.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "bitblock/common/error.hpp"
#include "bitblock/hwsim/arch.hpp"
#include "bitblock/hwsim/sram.hpp"
#include "bitblock/hwsim/supply.hpp"
#include "bitblock/hwsim/tech.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bitblock;
  static const hwsim::Tech tech = hwsim::load_tech(std::string(BITBLOCK_SOURCE_DIR) + "/hwsim/tech/40nm.yaml");
  const std::string path = fuzz::write_temp("arch.yaml", fuzz::as_string(data, size));
  try {
    const hwsim::Arch arch = hwsim::load_arch(path);
    const hwsim::Macros macros = hwsim::sram_macros(arch, tech);
    hwsim::check_supply(arch, tech, macros);
    const hwsim::ClockLimit limit = hwsim::clock_limit(arch, tech, macros);
    if (!(std::isfinite(limit.fmax_mhz) && limit.fmax_mhz > 0)) std::abort();
  } catch (const InputError&) {
  }
  return 0;
}
