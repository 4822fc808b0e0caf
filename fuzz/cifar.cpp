// CIFAR-10 binary batches (3073-byte records) through load_cifar10_batches.
#include <cstdint>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/dataset.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bitblock;
  const std::string path = fuzz::write_temp("data_batch_1.bin", fuzz::as_string(data, size));
  try {
    load_cifar10_batches("cifar10", {path});
  } catch (const InputError&) {
  }
  return 0;
}
