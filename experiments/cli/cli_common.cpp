#include "cli_common.hpp"

#include <cstdio>
#include <iostream>

#include "bitblock/common/error.hpp"

namespace bitblock::cli {

int guarded(const char* command, const std::function<int()>& body) {
  try {
    return body();
  } catch (const InputError& e) {
    std::fprintf(stderr, "bitblock %s: error: %s\n", command, e.what());
    return 2;
  } catch (const cxxopts::exceptions::exception& e) {
    std::fprintf(stderr, "bitblock %s: error: %s (see bitblock %s --help)\n", command, e.what(), command);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bitblock %s: internal error: %s\n", command, e.what());
    return 1;
  }
}

bool has_flag(int argc, char** argv, const char* name) {
  const std::string flag = std::string("--") + name;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == flag || a.rfind(flag + "=", 0) == 0) return true;
  }
  return false;
}

bool parse_or_help(cxxopts::Options& options, int argc, char** argv, cxxopts::ParseResult& out) {
  options.add_options("help")("h,help", "show this help");
  out = options.parse(argc, argv);
  if (out.count("help")) {
    std::cout << options.help() << std::endl;
    return false;
  }
  if (!out.unmatched().empty()) throw cxxopts::exceptions::no_such_option(out.unmatched().front());
  return true;
}

std::vector<std::string> config_overrides(const cxxopts::ParseResult& args) {
  std::vector<std::string> out;
  if (!args.count("set")) return out;
  for (const std::string& piece : args["set"].as<std::vector<std::string>>()) {
    if (piece.find('=') == std::string::npos && !out.empty()) out.back() += "," + piece;
    else out.push_back(piece);
  }
  return out;
}

}  // namespace bitblock::cli
