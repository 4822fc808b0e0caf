#pragma once
// Data-dependent event counts (arch zero_gating): the counts of one classification from the
// input codes each stage actually sees. With zero_gating none they equal count_events (the
// schedule does not look at the data).
//   clock_gate: the same events and cycles; active_products counts the products whose weight
//     code and activation are both nonzero (the others' multiplier, tree input, accumulator add
//     and accumulator write are held, cost.hpp).
//   skip: for every kept block and output position only the block columns whose input code is
//     nonzero are issued: block_rows x nonzero columns elements, row-major, pc at a time
//     (events.hpp), so cycles, MACs, accumulator updates and tree adders follow the nonzero
//     columns; activation reads are unchanged (the zeros must be read to be seen). A kept block
//     with no nonzero column at any position of a pass issues nothing, and the weight words
//     holding only such blocks' codes are not read (the stream's other words are). Index and
//     parameter reads are unchanged.
#include <cstdint>
#include <vector>

#include "bitblock/hwsim/arch.hpp"
#include "bitblock/hwsim/datapath.hpp"
#include "bitblock/hwsim/events.hpp"
#include "bitblock/model/network.hpp"

namespace bitblock::hwsim {

// Per stage, per input column (the im2col column for conv), the nonzero in-matrix weight codes
// of kept blocks in that column: what clock_gate needs from the model, computed once.
struct ZeroModel {
  std::vector<std::vector<int64_t>> column_nonzero_weights;
};
ZeroModel zero_model(const model::Network& net);

// Counts of stage k for one image whose input code at column kk and output position p is
// x[kk * stride + p]; base = count_events(net, a)[k].
EventCounts image_stage_events(const model::Network& net, size_t k, const Arch& a, const ZeroModel& z,
                               const EventCounts& base, const int16_t* x, int64_t stride);

// Every image's counts (images x stages) under a.zero_gating from one datapath replay of `count`
// images; base = count_events(net, a). hw (optional) receives the replay's outputs. With
// zero_gating none every image's counts are base, and without hw nothing is replayed.
std::vector<std::vector<EventCounts>> image_events(const model::Network& net, const Arch& a,
                                                   const std::vector<EventCounts>& base, const uint8_t* images,
                                                   int64_t count, DatapathResult* hw = nullptr);

}  // namespace bitblock::hwsim
