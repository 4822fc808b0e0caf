// bitblock report: results.csv of one or more sweeps -> Markdown tables and plots.
#include <cstdio>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/experiments/report.hpp"
#include "bitblock/experiments/results.hpp"
#include "cli_common.hpp"
#include "commands.hpp"

namespace bitblock::cli {

int cmd_report(int argc, char** argv) {
  return guarded("report", [&] {
    cxxopts::Options options("bitblock report",
                             "Markdown tables and plots (accuracy vs memory with the Pareto front, accuracy vs "
                             "energy, memory per layer) of sweeps: bitblock report runs/<sweep> [runs/<other>]");
    options.add_options()
        ("sweeps", "sweep folders", cxxopts::value<std::vector<std::string>>())
        ("rebuild", "rebuild each results.csv from the run folders first (merges Slurm array tasks)")
        ("out", "Markdown file (default <sweep>/report.md for one sweep; required for several)",
         cxxopts::value<std::string>())
        ("title", "heading of the Markdown file", cxxopts::value<std::string>()->default_value("bitblock experiments"))
        ("preamble", "Markdown file whose text goes between the heading and the tables", cxxopts::value<std::string>())
        ("plots-dir", "where plots go (default: next to the Markdown file)", cxxopts::value<std::string>());
    options.parse_positional({"sweeps"});
    cxxopts::ParseResult args;
    if (!parse_or_help(options, argc, argv, args)) return 0;
    if (!args.count("sweeps")) fail_input("sweeps", "missing (e.g. bitblock report runs/mnist_paper)");
    const auto sweeps = args["sweeps"].as<std::vector<std::string>>();
    if (sweeps.size() > 1 && !args.count("out")) fail_input("--out", "required with several sweep folders");
    const std::string out = args.count("out") ? args["out"].as<std::string>() : sweeps[0] + "/report.md";
    const size_t slash = out.rfind('/');
    const std::string out_dir = slash == std::string::npos ? "." : out.substr(0, slash);
    const std::string plots_dir = args.count("plots-dir") ? args["plots-dir"].as<std::string>() : out_dir;
    // Links in the Markdown are relative to the Markdown file when the plots sit below it.
    std::string link_dir = plots_dir;
    if (plots_dir == out_dir) link_dir = ".";
    else if (out_dir == "." ) link_dir = plots_dir;
    else if (plots_dir.rfind(out_dir + "/", 0) == 0) link_dir = plots_dir.substr(out_dir.size() + 1);

    std::string md = "# " + args["title"].as<std::string>() + "\n\n";
    if (args.count("preamble")) md += read_file(args["preamble"].as<std::string>()) + "\n";
    for (const std::string& dir : sweeps) {
      const std::string csv = dir + "/results.csv";
      std::vector<experiments::ResultRow> rows;
      if (args.count("rebuild") || !file_exists(csv)) {
        rows = experiments::update_results_csv(dir);
      } else {
        rows = experiments::read_results_csv(csv);
      }
      experiments::ReportFiles r = experiments::sweep_report(dir, rows, plots_dir, link_dir);
      md += r.markdown;
      std::printf("%s: %zu runs, %zu plots\n", dir.c_str(), rows.size(), r.plots.size());
    }
    write_file_atomic(out, md);
    std::printf("wrote %s\n", out.c_str());
    return 0;
  });
}

}  // namespace bitblock::cli
