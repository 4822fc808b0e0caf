#pragma once
// One error type for bad input (data files, configs, model files, impossible constraints).
// The CLI prints what() and exits with code 2; internal bugs use other exceptions.
#include <new>
#include <stdexcept>
#include <string>

namespace bitblock {

struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "<where>: <problem>", e.g. "data/mnist/train-images-idx3-ubyte: truncated ...".
[[noreturn]] inline void fail_input(const std::string& where, const std::string& problem) {
  throw InputError(where + ": " + problem);
}

// The boundary of a file reader: runs read() and turns what the libraries underneath it throw
// for bad content (a JSON or YAML type error, an out-of-range conversion, an allocation that a
// size in the file asked for) into an InputError naming the file. Readers validate what they
// read, so this is the safety net, not the check; fuzzing builds let such exceptions through,
// so a fuzzer reports every input that reaches the net.
template <typename Read>
auto read_boundary(const std::string& where, Read&& read) -> decltype(read()) {
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  (void)where;
  return read();
#else
  try {
    return read();
  } catch (const InputError&) {
    throw;
  } catch (const std::bad_alloc&) {
    fail_input(where, "needs more memory than is available (a size in it is too large?)");
  } catch (const std::exception& e) {
    fail_input(where, std::string("cannot be read: ") + e.what());
  }
#endif
}

}  // namespace bitblock
