#include "bitblock/common/names.hpp"

namespace bitblock {

std::string folder_name_problem(const std::string& name) {
  if (name.empty()) return "is empty (a folder name is needed)";
  if (name.size() > kMaxFolderNameLength)
    return "is " + std::to_string(name.size()) + " characters long (at most " + std::to_string(kMaxFolderNameLength) +
           " for a folder name)";
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return "holds a character other than A-Z a-z 0-9 . _ - (it names a folder)";
  }
  if (name[0] == '.' || name[0] == '-') return "starts with '" + std::string(1, name[0]) + "' (it names a folder)";
  return "";
}

std::string printable(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 120)) out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
  return text.size() > 120 ? out + "..." : out;
}

}  // namespace bitblock
