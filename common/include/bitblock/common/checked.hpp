#pragma once
// Overflow-safe size arithmetic: the one place where sizes, byte counts and offsets computed
// from what a file or a config claims are added and multiplied. A result that does not fit int64
// is reported, never wrapped (signed wrap-around is undefined behaviour, and a wrapped size
// passes bounds checks it should fail).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bitblock {

// nullopt when the exact result does not fit int64.
inline std::optional<int64_t> try_add(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}
inline std::optional<int64_t> try_mul(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// Throwing forms for parsers and validators: InputError "<where>: <what> is too large (...)".
int64_t checked_add(int64_t a, int64_t b, const std::string& where, const std::string& what);
int64_t checked_mul(int64_t a, int64_t b, const std::string& where, const std::string& what);
// Product of sizes that must each be >= 0 (a negative one is an InputError too).
int64_t checked_product(const std::vector<int64_t>& sizes, const std::string& where, const std::string& what);

}  // namespace bitblock
