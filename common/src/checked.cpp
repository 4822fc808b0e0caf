#include "bitblock/common/checked.hpp"

#include "bitblock/common/error.hpp"

namespace bitblock {

namespace {
[[noreturn]] void too_large(const std::string& where, const std::string& what, const std::string& expr) {
  fail_input(where, what + " is too large (" + expr + " does not fit 64-bit arithmetic)");
}
}  // namespace

int64_t checked_add(int64_t a, int64_t b, const std::string& where, const std::string& what) {
  const std::optional<int64_t> r = try_add(a, b);
  if (!r) too_large(where, what, std::to_string(a) + " + " + std::to_string(b));
  return *r;
}

int64_t checked_mul(int64_t a, int64_t b, const std::string& where, const std::string& what) {
  const std::optional<int64_t> r = try_mul(a, b);
  if (!r) too_large(where, what, std::to_string(a) + " x " + std::to_string(b));
  return *r;
}

int64_t checked_product(const std::vector<int64_t>& sizes, const std::string& where, const std::string& what) {
  int64_t n = 1;
  for (int64_t s : sizes) {
    if (s < 0) fail_input(where, what + " has a negative size " + std::to_string(s));
    n = checked_mul(n, s, where, what);
  }
  return n;
}

}  // namespace bitblock
