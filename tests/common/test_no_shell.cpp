// No shell anywhere in the project's code: child processes are started with an argument vector
// (bitblock/common/process.hpp), never through std::system or popen, which hand a command line
// to /bin/sh (where a path or name holding $(...), backquotes or quotes would run).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

#include "bitblock/common/atomic_file.hpp"

namespace bitblock {
namespace {

// "path:line" of every call of one of `names` (an identifier followed by '(') under `roots`.
std::vector<std::string> calls(const std::vector<std::string>& roots, const std::vector<std::string>& names) {
  std::vector<std::string> found;
  for (const std::string& root : roots)
    for (const auto& entry : std::filesystem::recursive_directory_iterator(std::string(BITBLOCK_SOURCE_DIR) + "/" + root)) {
      const std::string ext = entry.path().extension().string();
      if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp" && ext != ".h" && ext != ".cu" && ext != ".cuh"))
        continue;
      const std::string text = read_file(entry.path().string());
      for (const std::string& name : names)
        for (size_t at = text.find(name + "("); at != std::string::npos; at = text.find(name + "(", at + 1)) {
          const bool part_of_longer = at > 0 && (std::isalnum(static_cast<unsigned char>(text[at - 1])) || text[at - 1] == '_');
          if (part_of_longer) continue;
          const long line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(at), '\n');
          found.push_back(entry.path().string() + ":" + std::to_string(line) + ": " + name + "(");
        }
    }
  return found;
}

TEST(NoShell, NoSystemOrPopenInTheSources) {
  const std::vector<std::string> found =
      calls({"common", "kernels", "model", "framework", "hwsim", "experiments"}, {"system", "popen"});
  std::string list;
  for (const std::string& f : found) list += f + "\n";
  EXPECT_TRUE(found.empty()) << "start child processes with run_process (bitblock/common/process.hpp):\n" << list;
}

}  // namespace
}  // namespace bitblock
