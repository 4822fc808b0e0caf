// hwsim technology files through load_tech. Input: the YAML text, NUL, the SRAM table (CSV) it
// names as sram40nm.csv. What loads must price SRAM macros of any size.
#include <cstdint>
#include <string>
#include <vector>

#include "bitblock/common/error.hpp"
#include "bitblock/hwsim/tech.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bitblock;
  const std::vector<std::string> in = fuzz::parts(data, size);
  fuzz::write_temp("sram40nm.csv", in.size() > 1 ? in[1] : std::string());
  const std::string path = fuzz::write_temp("tech.yaml", in[0]);
  try {
    const hwsim::Tech t = hwsim::load_tech(path);
    for (const char* cell : {"itrs-lop", "itrs-lstp"}) {
      hwsim::sram_macro(t, 100.0, 8.0, cell);
      hwsim::sram_macro(t, 65536.0, 64.0, cell);
      hwsim::sram_macro(t, 1e9, 1024.0, cell);
    }
  } catch (const InputError&) {
  }
  return 0;
}
