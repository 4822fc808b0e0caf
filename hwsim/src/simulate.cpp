#include "bitblock/hwsim/simulate.hpp"

#include <chrono>
#include <stdexcept>
#include <string>

#include "bitblock/hwsim/activity.hpp"
#include "bitblock/hwsim/datapath.hpp"
#include "bitblock/model/infer.hpp"

namespace bitblock::hwsim {

SimResult simulate(const model::Network& net, const Arch& a, const Tech& t, const uint8_t* images,
                   const uint8_t* labels, int64_t count) {
  check_model_fits(a, net);
  SimResult r;
  r.counts = count_events(net, a);
  const std::vector<EventCounts> walked = walk_events(net, a);
  for (size_t k = 0; k < walked.size(); ++k)
    if (!(walked[k] == r.counts[k]))
      throw std::logic_error("hwsim: event counts of stage " + std::to_string(k) + " differ from the schedule walk");
  r.cost = estimate_cost(a, t, net, r.counts);
  r.images = count;
  r.band_ungated = energy_band(net, a, t, {r.counts});
  if (count == 0) {
    r.band = r.band_ungated;
    return r;
  }
  const auto t0 = std::chrono::steady_clock::now();
  DatapathResult hw;
  const std::vector<std::vector<EventCounts>> image_counts = image_events(net, a, r.counts, images, count, &hw);
  r.replay_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.images_per_s = r.replay_seconds > 0 ? double(count) / r.replay_seconds : 0.0;
  for (size_t i = 0; i < image_counts.size(); ++i) {
    if (i > 0 && image_counts[i] == image_counts[i - 1]) {
      ImageCost same = r.per_image.back();
      r.per_image.push_back(std::move(same));
      continue;
    }
    const CostReport c = estimate_cost(a, t, net, image_counts[i]);
    ImageCost ic;
    for (const StageCost& sc : c.stages) {
      ic.stages.push_back(sc.energy);
      ic.cycles.push_back(sc.cycles);
    }
    ic.energy = c.energy;
    ic.total_cycles = c.cycles;
    r.per_image.push_back(std::move(ic));
  }
  r.band = energy_band(net, a, t, image_counts);
  const model::InferenceResult ev = model::run_inference(net, images, count);
  for (int64_t i = 0; i < count; ++i) {
    const auto n = static_cast<size_t>(net.num_classes);
    bool same = hw.classes[static_cast<size_t>(i)] == ev.classes[static_cast<size_t>(i)];
    for (size_t c = 0; c < n && same; ++c) same = hw.logits[static_cast<size_t>(i) * n + c] == ev.logits[static_cast<size_t>(i) * n + c];
    if (!same) throw std::logic_error("hwsim: datapath output differs from the integer inference on image " + std::to_string(i));
    ++r.images_checked;
  }
  if (labels) r.accuracy = model::accuracy(hw.classes, labels);
  return r;
}

DesignPrice price_design(const model::Network& net, const Arch& a, const Tech& t, const ImageSet& images) {
  check_model_fits(a, net);
  const std::vector<EventCounts> base = count_events(net, a);
  const CostReport c = estimate_cost(a, t, net, base);
  DesignPrice p{c.energy.total() * 1e-3, c.area.total(), c.latency_us, c.classifications_per_s};
  if (a.zero_gating == ZeroGating::None || images.count == 0) return p;
  const std::vector<std::vector<EventCounts>> per = image_events(net, a, base, images.images, images.count);
  double energy_pj = 0, cycles = 0;
  for (size_t i = 0; i < per.size(); ++i) {
    const CostReport ci = estimate_cost(a, t, net, per[i]);
    energy_pj += ci.energy.total();
    cycles += double(ci.cycles);
  }
  energy_pj /= double(per.size());
  cycles /= double(per.size());
  p.energy_nj = energy_pj * 1e-3;
  p.latency_us = cycles * a.clock_ns() / 1000.0;
  p.classifications_per_s = cycles > 0 ? a.clock_mhz * 1e6 / cycles : 0.0;
  return p;
}

}  // namespace bitblock::hwsim
