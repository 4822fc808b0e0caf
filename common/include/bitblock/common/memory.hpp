#pragma once
// How much memory this process may use, for inputs that ask for more than it can hold (a layer
// width in the billions, a data file whose header declares terabytes, a batch of a billion
// samples): they are bad input with a clear message, not an allocation failure deep inside.
#include <cstdint>
#include <string>

namespace bitblock {

// The smallest of: physical memory (sysconf), the address-space and data-segment limits
// (RLIMIT_AS, RLIMIT_DATA: `ulimit -v`, `ulimit -d`) and the cgroup v2 memory.max of this
// process (a Slurm job's or a container's limit). Read at each call (limits can change).
int64_t memory_limit_bytes();

// InputError "<where>: <what> need <X> GiB, more than the <Y> GiB of memory this process may use"
// when bytes > memory_limit_bytes().
void check_fits_memory(int64_t bytes, const std::string& where, const std::string& what);

}  // namespace bitblock
