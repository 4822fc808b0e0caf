#pragma once
// Shared CLI plumbing: error handling with exit codes, and the common options.
#include <cxxopts.hpp>
#include <functional>
#include <new>
#include <string>
#include <vector>

namespace bitblock::cli {

// Runs body; maps InputError, cxxopts errors and std::bad_alloc (an input asking for more memory
// than the checks before allocating caught) to exit code 2 with one line on stderr
// ("bitblock <command>: error: <message>"), other exceptions to exit code 1.
int guarded(const char* command, const std::function<int()>& body);

// The one line for an allocation failure.
std::string out_of_memory_message(const std::bad_alloc& e);

// True when argv names the option (as "--name" or "--name=value").
bool has_flag(int argc, char** argv, const char* name);

// Parses argv with the given options; prints help and returns false when --help was asked.
// An option other than the list options (--set, --sweep, --images, report's folders) given twice
// is an InputError naming it.
bool parse_or_help(cxxopts::Options& options, int argc, char** argv, cxxopts::ParseResult& out);

// The --set key=value overrides. cxxopts splits list options at commas, which would cut
// "block=[16,16]" in two; pieces without '=' are glued back onto the previous assignment.
std::vector<std::string> config_overrides(const cxxopts::ParseResult& args);

}  // namespace bitblock::cli
