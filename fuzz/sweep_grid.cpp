// Sweep files and their grids (input: the sweep file's YAML, then the base config's, then
// NUL-separated --set overrides): what parse_sweep accepts expands (as `bitblock sweep --list`
// does), and every point's run name is one folder name, unique in the sweep.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "bitblock/common/error.hpp"
#include "bitblock/common/names.hpp"
#include "bitblock/experiments/sweep.hpp"
#include "fuzz_input.hpp"

namespace {

// Grids of at most this many points, over small networks (model keys fixed): each point builds
// its model, and the number of points and the model size are the user's choice, not bugs.
constexpr size_t kMaxPoints = 64;

bool small_sweep(const bitblock::experiments::SweepSpec& spec) {
  using namespace bitblock;
  auto model_key = [](const std::string& k) { return k.rfind("model", 0) == 0; };
  size_t points = 1;
  for (const auto& axis : spec.axes) {
    for (const std::string& k : axis.keys)
      if (model_key(k)) return false;
    points *= axis.steps.size();
    if (points > kMaxPoints) return false;
  }
  for (const auto& rules : {spec.include, spec.exclude})
    for (const auto& rule : rules)
      for (const auto& kv : rule)
        if (model_key(kv.first)) return false;
  for (const auto& kv : spec.fixed)
    if (model_key(kv.first)) return false;
  if (spec.include.size() > 4) return false;
  return fuzz::small_network(parse_config(spec.base_yaml, spec.base));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bitblock;
  std::vector<std::string> in = fuzz::parts(data, size);
  if (in.size() < 2) return 0;
  fuzz::write_temp("base.yaml", in[1]);
  const std::vector<std::string> sets(in.begin() + 2, in.end());
  try {
    experiments::SweepSpec spec = experiments::parse_sweep(in[0], "fuzz_sweep.yaml", fuzz::temp_dir());
    experiments::add_overrides(spec, sets);
    if (!small_sweep(spec)) return 0;
    if (!folder_name_problem(spec.name).empty()) std::abort();
    const std::vector<experiments::GridPoint> points = experiments::expand_grid(spec);
    std::set<std::string> names;
    for (const experiments::GridPoint& p : points) {
      if (!folder_name_problem(p.name).empty() || !names.insert(p.name).second) std::abort();
      if (p.invalid.empty() && p.config_yaml.empty()) std::abort();
    }
  } catch (const InputError&) {
  }
  return 0;
}
