#pragma once
// One hwsim run: fit check, event counts (formula, checked against the schedule walk), cost,
// and the datapath replay of every image checked against the integer inference `bitblock eval`
// runs (classes and logits on every image), with accuracy measured in simulation.
#include <cstdint>
#include <vector>

#include "bitblock/hwsim/band.hpp"
#include "bitblock/hwsim/cost.hpp"
#include "bitblock/hwsim/events.hpp"
#include "bitblock/model/network.hpp"

namespace bitblock::hwsim {

// One image's cost under the arch's zero_gating (activity.hpp).
struct ImageCost {
  std::vector<Energy> stages;       // pJ per stage
  std::vector<int64_t> cycles;      // per stage
  Energy energy;                    // summed over stages
  int64_t total_cycles = 0;
};

struct SimResult {
  std::vector<EventCounts> counts;  // per stage, per classification, data-independent (no gating)
  CostReport cost;                  // from counts: the design without zero gating
  std::vector<ImageCost> per_image; // every image simulated, under the arch's zero_gating
  EnergyBand band;                  // mean over the images, under the arch's zero_gating
  EnergyBand band_ungated;          // the data-independent counts
  int64_t images = 0;
  double accuracy = 0;              // in simulation
  double replay_seconds = 0;        // datapath replay of all images
  double images_per_s = 0;
  int64_t images_checked = 0;       // images whose classes and logits equal the inference's
};

// Throws InputError when the model does not fit the arch; std::logic_error when the counts
// disagree with the walk or the datapath disagrees with the inference (an internal bug).
// labels may be null (accuracy 0). Without images, per_image is empty and band equals
// band_ungated.
SimResult simulate(const model::Network& net, const Arch& a, const Tech& t, const uint8_t* images,
                   const uint8_t* labels, int64_t count);

// The images a design is priced on when its zero_gating looks at the data (--sweep,
// --sensitivity); none (count 0): the data-independent counts.
struct ImageSet {
  const uint8_t* images = nullptr;
  int64_t count = 0;
};

// One design's figures per classification for sweeps and sensitivity: the data-independent
// cost, or, with zero_gating and images, the mean over the images of each image's energy and
// cycles (the report's per-image mean; throughput from the mean cycles). No check against the
// inference (simulate does that). InputError when the model does not fit.
struct DesignPrice {
  double energy_nj = 0, area_mm2 = 0, latency_us = 0, classifications_per_s = 0;
};
DesignPrice price_design(const model::Network& net, const Arch& a, const Tech& t, const ImageSet& images);

}  // namespace bitblock::hwsim
