#pragma once
// One error type for bad input (data files, configs, model files, impossible constraints).
// The CLI prints what() and exits with code 2; internal bugs use other exceptions.
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

}  // namespace bitblock
