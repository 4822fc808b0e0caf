// hwsim replay speed: the paper's MLP (784-1024-1024-10, 3-bit weights, 8x8 blocks, 1 in 8 kept,
// sign activations) on arch/paper_mlp.yaml, one thread. Target: >= 10,000 MNIST images/s.
// The replay runs the datapath for every image and checks it against the integer inference,
// so items/s counts images through both.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <string>
#include <vector>

#include "bitblock/common/rng.hpp"
#include "bitblock/hwsim/arch.hpp"
#include "bitblock/hwsim/simulate.hpp"
#include "bitblock/hwsim/tech.hpp"
#include "bitblock/model/network.hpp"

namespace {

using bitblock::Rng;
namespace model = bitblock::model;

model::Stage random_dense_stage(int64_t in, int64_t out, bool last, Rng& rng) {
  const int br = 8, bc = 8, bits = 3;
  std::vector<int8_t> codes(static_cast<size_t>(in * out));
  std::vector<uint8_t> mask(codes.size(), 0);
  for (int8_t& c : codes) c = static_cast<int8_t>(static_cast<int>(rng.below(7)) - 3);
  // Coarse-grain selection: the same number of kept blocks (1 in 8) in every block-row.
  const int64_t block_cols = (in + bc - 1) / bc;
  const int64_t keep = last ? block_cols : std::max<int64_t>(1, block_cols / 8);
  for (int64_t r0 = 0; r0 < out; r0 += br) {
    std::vector<int64_t> cols(static_cast<size_t>(block_cols));
    for (int64_t j = 0; j < block_cols; ++j) cols[static_cast<size_t>(j)] = j;
    bitblock::shuffle(cols.data(), static_cast<uint64_t>(block_cols), rng);
    for (int64_t k = 0; k < keep; ++k)
      for (int64_t r = r0; r < std::min(out, r0 + br); ++r)
        for (int64_t c = cols[static_cast<size_t>(k)] * bc; c < std::min(in, (cols[static_cast<size_t>(k)] + 1) * bc); ++c)
          mask[static_cast<size_t>(r * in + c)] = 1;
  }
  model::Stage s;
  s.name = "dense" + std::to_string(out);
  s.op = model::OpKind::Dense;
  s.input = {static_cast<int>(in), 1, 1};
  s.weights = bitblock::kernels::bsr_pack(codes.data(), mask.data(), out, in, br, bc, bits, nullptr);
  s.act = last ? model::ActKind::None : model::ActKind::Sign;
  s.act_bits = last ? 32 : 1;
  s.mult.assign(static_cast<size_t>(out), 1);
  s.bias.assign(static_cast<size_t>(out), 0);
  return s;
}

void BM_HwsimReplayPaperMlp(benchmark::State& state) {
  omp_set_num_threads(1);
  Rng rng(2024);
  model::Network net;
  net.dataset = "mnist";
  net.input = {1, 28, 28};
  net.num_classes = 10;
  net.stages = {random_dense_stage(784, 1024, false, rng), random_dense_stage(1024, 1024, false, rng),
                random_dense_stage(1024, 10, true, rng)};
  model::validate_network(net, "bench");
  const std::string dir = BITBLOCK_HWSIM_DIR;
  const auto arch = bitblock::hwsim::load_arch(dir + "/arch/paper_mlp.yaml");
  const auto tech = bitblock::hwsim::load_tech(dir + "/tech/40nm.yaml");
  const int64_t n = state.range(0);
  std::vector<uint8_t> images(static_cast<size_t>(n * 784));
  for (uint8_t& p : images) p = static_cast<uint8_t>(rng.below(256));
  for (auto _ : state) {
    auto r = bitblock::hwsim::simulate(net, arch, tech, images.data(), nullptr, n);
    benchmark::DoNotOptimize(r.images_checked);
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["target_images_per_s"] = 10000;
}
BENCHMARK(BM_HwsimReplayPaperMlp)->Arg(2000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
