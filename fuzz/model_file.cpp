// Model files (.bbm): whatever parse_model accepts must be safe to summarise, to run through
// integer inference and to replay in hwsim's datapath.
#include <cstdint>
#include <vector>

#include "bitblock/common/error.hpp"
#include "bitblock/hwsim/datapath.hpp"
#include "bitblock/model/infer.hpp"
#include "bitblock/model/model_file.hpp"
#include "bitblock/model/summary.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bitblock;
  try {
    const model::ModelFile m = model::parse_model(fuzz::as_string(data, size), "fuzz.bbm");
    model::format_summary(model::summarize(m.network));
    const std::vector<uint8_t> image(static_cast<size_t>(m.network.input.size()), 200);
    model::run_inference(m.network, image.data(), 1);
    hwsim::run_datapath(m.network, image.data(), 1);
  } catch (const InputError&) {
  }
  return 0;
}
