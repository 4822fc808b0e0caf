#pragma once
// Shared CLI plumbing: error handling with exit codes, and the common options.
#include <cxxopts.hpp>
#include <functional>
#include <string>
#include <vector>

namespace bitblock::cli {

// Runs body; maps InputError and cxxopts errors to exit code 2 with one line on stderr
// ("bitblock <command>: <message>"), other exceptions to exit code 1.
int guarded(const char* command, const std::function<int()>& body);

// True when argv names the option (as "--name" or "--name=value").
bool has_flag(int argc, char** argv, const char* name);

// Parses argv with the given options; prints help and returns false when --help was asked.
bool parse_or_help(cxxopts::Options& options, int argc, char** argv, cxxopts::ParseResult& out);

// The --set key=value overrides. cxxopts splits list options at commas, which would cut
// "block=[16,16]" in two; pieces without '=' are glued back onto the previous assignment.
std::vector<std::string> config_overrides(const cxxopts::ParseResult& args);

}  // namespace bitblock::cli
