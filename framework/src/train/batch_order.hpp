#pragma once
// The order and random streams of a run's batches: pure functions of (seed, epoch, batch), so a
// resumed run draws exactly what the uninterrupted run drew.
#include <cstdint>
#include <vector>

namespace bitblock {

// The seed of batch `batch`'s random stream (augmentation, dropout) in epoch `epoch`.
uint64_t batch_seed(uint64_t seed, int epoch, int64_t batch);

// The epoch's shuffled order of the n training samples.
std::vector<int64_t> epoch_order(uint64_t seed, int epoch, int64_t n);

}  // namespace bitblock
