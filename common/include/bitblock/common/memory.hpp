#pragma once
// How much memory this machine has, for inputs that ask for more than it can hold (a layer
// width in the billions, a data file whose header declares terabytes): they are bad input with a
// clear message, not an allocation failure deep inside.
#include <cstdint>
#include <string>

namespace bitblock {

int64_t physical_memory_bytes();

// InputError "<where>: <what> need <X> GiB, more than this machine's <Y> GiB of memory" when
// bytes > physical_memory_bytes().
void check_fits_memory(int64_t bytes, const std::string& where, const std::string& what);

}  // namespace bitblock
