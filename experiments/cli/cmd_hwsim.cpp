// bitblock hwsim: replays a .bbm model on a 40nm accelerator description, checks its outputs
// equal the integer inference on every test image, and reports area, cycles, energy, accuracy.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/dataset.hpp"
#include "bitblock/hwsim/report.hpp"
#include "bitblock/hwsim/rtl_export.hpp"
#include "bitblock/hwsim/sensitivity.hpp"
#include "bitblock/hwsim/simulate.hpp"
#include "bitblock/model/model_file.hpp"
#include "cli_common.hpp"
#include "commands.hpp"
#include "model_test_set.hpp"

namespace bitblock::cli {

namespace {
// cxxopts splits list values at commas: glue "lanes=8","16" back into "lanes=8,16".
std::vector<std::string> sweep_specs(const cxxopts::ParseResult& args) {
  std::vector<std::string> out;
  if (!args.count("sweep")) return out;
  for (const std::string& piece : args["sweep"].as<std::vector<std::string>>()) {
    if (piece.find('=') == std::string::npos && !out.empty()) {
      out.back() += "," + piece;
    } else {
      out.push_back(piece);
    }
  }
  return out;
}
}  // namespace

int cmd_hwsim(int argc, char** argv) {
  return guarded("hwsim", [&] {
    cxxopts::Options options("bitblock hwsim", "Simulate a .bbm model on a 40nm block-skipping accelerator");
    options.add_options()
        ("model", "model file (.bbm)", cxxopts::value<std::string>())
        ("arch", "architecture (hwsim/arch/<name>.yaml)", cxxopts::value<std::string>())
        ("tech", "technology file", cxxopts::value<std::string>()->default_value(BITBLOCK_HWSIM_DIR "/tech/40nm.yaml"))
        ("data-dir", "folder holding the data sets", cxxopts::value<std::string>()->default_value("data"))
        ("dataset", "data set (default: the one named in the model file)", cxxopts::value<std::string>()->default_value(""))
        ("limit", "simulate only the first N test images (0: all)", cxxopts::value<int64_t>()->default_value("0"))
        ("out", "report folder", cxxopts::value<std::string>())
        ("sweep", "explore architectures, e.g. --sweep lanes=8,16,32 --sweep freq=100,200 (keys: lanes, freq, "
                  "supply, weight_banks, weight_word_bits, accumulator_bits)",
         cxxopts::value<std::vector<std::string>>())
        ("sensitivity", "vary each design lever alone over its range: sensitivity.csv and a tornado plot of energy "
                        "per classification")
        ("emit-rtl", "write the SRAM contents ($readmemh), golden vectors and a manifest for RTL verification "
                     "into this folder (docs/hwsim_validation.md)", cxxopts::value<std::string>())
        ("rtl-images", "images in the golden vectors of --emit-rtl", cxxopts::value<int64_t>()->default_value("8"));
    cxxopts::ParseResult args;
    if (!parse_or_help(options, argc, argv, args)) return 0;
    for (const char* key : {"model", "arch", "out"})
      if (!args.count(key)) fail_input(std::string("--") + key, "missing");
    const std::string model_path = args["model"].as<std::string>(), out = args["out"].as<std::string>();
    std::vector<hwsim::SweepAxis> axes;
    for (const std::string& s : sweep_specs(args)) axes.push_back(hwsim::parse_sweep(s));
    const std::string tech_path = args["tech"].as<std::string>(), arch_path = args["arch"].as<std::string>();
    const hwsim::Tech tech = read_boundary(tech_path, [&] { return hwsim::load_tech(tech_path); });
    const hwsim::Arch arch = read_boundary(arch_path, [&] { return hwsim::load_arch(arch_path); });
    hwsim::check_sweep_axes(arch, axes);
    const model::ModelFile mf = model::load_model(model_path);
    const model::Network& net = mf.network;
    hwsim::check_model_fits(arch, net);
    const Dataset test = model_test_set(net, args["dataset"].as<std::string>(), args["data-dir"].as<std::string>(), model_path);
    const int64_t limit = args["limit"].as<int64_t>();
    if (limit < 0) fail_input("--limit", "must be >= 0");
    const int64_t count = limit > 0 && limit < test.size() ? limit : test.size();
    const int64_t rtl_images = args["rtl-images"].as<int64_t>();
    if (rtl_images < 1) fail_input("--rtl-images", "must be >= 1");
    const hwsim::SimResult r = hwsim::simulate(net, arch, tech, test.images.data(), test.labels.data(), count);
    const hwsim::RunInfo info{model_path, test.name};
    const std::vector<std::string> plots = hwsim::write_reports(out, r, net, arch, tech, info);
    std::printf("%s", hwsim::report_summary(r, arch).c_str());
    std::printf("  wrote %s/{report.json,report.md,stages.csv}%s\n", out.c_str(),
                plots.empty() ? " (gnuplot not found: no plots)" : " and energy plots (PNG)");
    if (args.count("emit-rtl")) {
      const std::string dir = args["emit-rtl"].as<std::string>();
      hwsim::emit_rtl(dir, net, arch, test.images.data(), std::min(rtl_images, count));
      std::printf("  wrote %s/{manifest.json,tb_params.vh,*.hex} (%lld images; testbench hwsim/rtl/tb_stage0.v)\n",
                  dir.c_str(), static_cast<long long>(std::min(rtl_images, count)));
    }
    // A gated design is priced on the images simulated (each point replays them).
    const hwsim::ImageSet priced{test.images.data(), count};
    if (!axes.empty()) {
      const std::vector<hwsim::SweepPoint> points = hwsim::run_sweep(net, arch, tech, axes, priced);
      const std::vector<std::string> sweep_plots = hwsim::write_sweep(out, axes, points);
      int fits = 0;
      for (const hwsim::SweepPoint& p : points) fits += p.fits;
      std::printf("  sweep: %zu architectures (%d fit the model) -> %s/sweep.csv%s\n", points.size(), fits, out.c_str(),
                  sweep_plots.empty() ? "" : " and sweep.png");
    }
    if (args.count("sensitivity")) {
      const hwsim::Sensitivity sens = hwsim::run_sensitivity(net, arch, tech, priced);
      const std::vector<std::string> tornado = hwsim::write_sensitivity(out, sens);
      std::printf("  sensitivity (base %.2f nJ):\n", sens.base_nj);
      for (const hwsim::LeverResult& l : sens.levers) {
        auto side = [](const hwsim::LeverEnd& e) {
          char buf[96];
          if (e.valid) {
            std::snprintf(buf, sizeof buf, "%s %.2f nJ", e.label.c_str(), e.energy_nj);
          } else {
            std::snprintf(buf, sizeof buf, "%s invalid", e.label.c_str());
          }
          return std::string(buf);
        };
        std::printf("    %-28s %-26s .. %s\n", l.lever.c_str(), side(l.low).c_str(), side(l.high).c_str());
      }
      std::printf("  -> %s/sensitivity.csv%s\n", out.c_str(), tornado.empty() ? " (gnuplot not found: no plot)" : " and tornado.png");
    }
    return 0;
  });
}

}  // namespace bitblock::cli
