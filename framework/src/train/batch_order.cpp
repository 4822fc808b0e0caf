#include "train/batch_order.hpp"

#include <numeric>

#include "bitblock/common/rng.hpp"

namespace bitblock {

uint64_t batch_seed(uint64_t seed, int epoch, int64_t batch) {
  return mix_seed(seed, (static_cast<uint64_t>(epoch + 1) << 32) ^ static_cast<uint64_t>(batch));
}

std::vector<int64_t> epoch_order(uint64_t seed, int epoch, int64_t n) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  Rng rng(mix_seed(seed, 0x5eed0000ULL + static_cast<uint64_t>(epoch)));
  shuffle(order.data(), static_cast<uint64_t>(n), rng);
  return order;
}

}  // namespace bitblock
