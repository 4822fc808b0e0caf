// Rejects constraint settings that cannot be met on a given matrix, naming the config key
// (the config's spelling: weight_bits, ratio, block, prune, clip).
#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <utility>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/constraint.hpp"
#include "constraint/units.hpp"

namespace bitblock {
namespace {

std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string dims(int64_t a, int64_t b) { return std::to_string(a) + "x" + std::to_string(b); }

// The units the ratio divides, as "<count> <what>" for the message.
std::pair<int64_t, std::string> ratio_units(const ConstraintSpec& spec, int64_t rows, int64_t cols) {
  bool random = spec.selection == Selection::Random;
  switch (spec.structure) {
    case Structure::None: break;
    case Structure::Element:
      return random ? std::make_pair(cols, std::string("weights per row")) : std::make_pair(rows * cols, std::string("weights"));
    case Structure::Row: return {rows, "rows"};
    case Structure::Column: return {cols, "columns"};
    case Structure::Block:
      return random ? std::make_pair(detail::block_grid_cols(spec, cols), std::string("blocks per block-row"))
                    : std::make_pair(detail::unit_count(spec, rows, cols), std::string("blocks"));
  }
  return {rows * cols, "weights"};
}

}  // namespace

void validate_constraint(const ConstraintSpec& spec, int64_t rows, int64_t cols, const std::string& where) {
  auto key = [&where](const char* field) { return where + "." + field; };
  if (rows < 1 || cols < 1) fail_input(where, "weight matrix " + dims(rows, cols) + " is empty");
  int bits = spec.weight_bits;
  if (!((bits >= 1 && bits <= 8) || bits == 32))
    fail_input(key("weight_bits"), std::to_string(bits) + " is not supported (use 1..8 or 32)");
  if (!std::isfinite(spec.clip) || spec.clip <= 0.0f)
    fail_input(key("clip"), "must be a finite number > 0, got " + number(spec.clip));
  if (!std::isfinite(spec.ratio) || spec.ratio < 1.0)
    fail_input(key("ratio"), "must be a finite number >= 1, got " + number(spec.ratio));
  if (spec.structure == Structure::None) {
    if (spec.ratio > 1.0)
      fail_input(key("ratio"), "ratio " + number(spec.ratio) + " needs a sparsity structure (structure is none)");
    return;
  }
  if (spec.structure == Structure::Block) {
    std::string block = dims(spec.block_rows, spec.block_cols);
    if (spec.block_rows < 1 || spec.block_cols < 1)
      fail_input(key("block"), "block " + block + " needs at least 1 row and 1 column");
    if (spec.block_rows > rows || spec.block_cols > cols)
      fail_input(key("block"), "block " + block + " is larger than the " + dims(rows, cols) + " matrix");
  }
  auto [units, what] = ratio_units(spec, rows, cols);
  if (spec.ratio > static_cast<double>(units))
    fail_input(key("ratio"), "ratio " + number(spec.ratio) + " needs at least " + number(std::ceil(spec.ratio)) +
                                 " " + what + ", matrix has " + std::to_string(units));
  if (spec.selection == Selection::Magnitude && spec.ratio > 1.0) {
    std::string prune = "[" + std::to_string(spec.prune_start_epoch) + ", " + std::to_string(spec.prune_end_epoch) + "]";
    if (spec.prune_start_epoch < 0) fail_input(key("prune"), "start epoch must be >= 0, got " + prune);
    if (spec.prune_end_epoch <= spec.prune_start_epoch)
      fail_input(key("prune"), "end epoch must be after the start epoch, got " + prune);
  }
}

void validate_mask(const ConstraintSpec& spec, int64_t rows, int64_t cols, const std::vector<uint8_t>& mask,
                   const std::string& where) {
  if (static_cast<int64_t>(mask.size()) != rows * cols)
    fail_input(where, std::to_string(mask.size()) + " mask entries for a " + dims(rows, cols) + " weight matrix");
  for (size_t i = 0; i < mask.size(); ++i)
    if (mask[i] > 1) fail_input(where, "mask entry " + std::to_string(i) + " is " + std::to_string(mask[i]) + ", not 0 or 1");
  const int64_t units = detail::unit_count(spec, rows, cols);
  std::vector<uint8_t> kept(static_cast<size_t>(units));
  for (int64_t u = 0; u < units; ++u) {
    const detail::Rect r = detail::unit_rect(spec, rows, cols, u);
    const uint8_t v = mask[static_cast<size_t>(r.r0 * cols + r.c0)];
    for (int64_t i = r.r0; i < r.r1; ++i)
      for (int64_t j = r.c0; j < r.c1; ++j)
        if (mask[static_cast<size_t>(i * cols + j)] != v)
          fail_input(where, "the mask keeps part of " + std::string(to_string(spec.structure)) + " unit " +
                                std::to_string(u) + " (structure " + to_string(spec.structure) +
                                " keeps or drops whole units)");
    kept[static_cast<size_t>(u)] = v;
  }
  if (spec.selection == Selection::Random) {
    const int64_t size = detail::random_group_size(spec, rows, cols);
    const int64_t want = detail::kept_units(size, spec.ratio);
    for (int64_t g = 0; g < detail::random_group_count(spec, rows, cols); ++g) {
      const int64_t have = std::count(kept.begin() + g * size, kept.begin() + (g + 1) * size, uint8_t{1});
      if (have != want)
        fail_input(where, "the mask keeps " + std::to_string(have) + " of " + std::to_string(size) + " units in group " +
                              std::to_string(g) + ", random selection at ratio " + number(spec.ratio) + " keeps " +
                              std::to_string(want));
    }
  } else {
    const int64_t have = std::count(kept.begin(), kept.end(), uint8_t{1});
    const int64_t least = detail::kept_units(units, spec.ratio);
    if (have < least)
      fail_input(where, "the mask keeps " + std::to_string(have) + " of " + std::to_string(units) +
                            " units, fewer than the " + std::to_string(least) + " magnitude pruning ends with");
  }
}

}  // namespace bitblock
