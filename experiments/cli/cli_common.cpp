#include "cli_common.hpp"

#include <cstdio>
#include <iostream>
#include <map>
#include <set>

#include "bitblock/common/error.hpp"
#include "bitblock/common/memory.hpp"

namespace bitblock::cli {

std::string out_of_memory_message(const std::bad_alloc& e) {
  return std::string("out of memory (") + e.what() + "): the input asks for more than the " +
         std::to_string(memory_limit_bytes() >> 20) + " MiB this process may use (smaller sizes, or more memory)";
}

int guarded(const char* command, const std::function<int()>& body) {
  try {
    return body();
  } catch (const InputError& e) {
    std::fprintf(stderr, "bitblock %s: error: %s\n", command, e.what());
    return 2;
  } catch (const cxxopts::exceptions::exception& e) {
    std::fprintf(stderr, "bitblock %s: error: %s (see bitblock %s --help)\n", command, e.what(), command);
    return 2;
  } catch (const std::bad_alloc& e) {
    std::fprintf(stderr, "bitblock %s: error: %s\n", command, out_of_memory_message(e).c_str());
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

namespace {
// The list options (each use adds values); every other option may appear once.
const std::set<std::string> kRepeatable = {"set", "sweep", "images", "sweeps"};
}  // namespace

bool parse_or_help(cxxopts::Options& options, int argc, char** argv, cxxopts::ParseResult& out) {
  options.add_options("help")("h,help", "show this help");
  out = options.parse(argc, argv);
  if (out.count("help")) {
    std::cout << options.help() << std::endl;
    return false;
  }
  if (!out.unmatched().empty()) throw cxxopts::exceptions::no_such_option(out.unmatched().front());
  // A single-valued option given twice would silently take the last value.
  std::map<std::string, int> seen;
  for (const cxxopts::KeyValue& kv : out.arguments())
    if (!kRepeatable.count(kv.key()) && ++seen[kv.key()] == 2)
      bitblock::fail_input("--" + kv.key(), "given more than once (give it once)");
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
