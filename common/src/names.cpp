#include "bitblock/common/names.hpp"

namespace bitblock {

std::string folder_name_problem(const std::string& name) {
  bool ok = !name.empty() && name.size() <= kMaxFolderNameLength && name[0] != '.' && name[0] != '-';
  for (char c : name)
    ok = ok && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                c == '-');
  if (ok) return "";
  return "is not a folder name (1 to " + std::to_string(kMaxFolderNameLength) +
         " characters of A-Z a-z 0-9 . _ -, not starting with '.' or '-')";
}

std::string printable(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 120)) out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
  return text.size() > 120 ? out + "..." : out;
}

}  // namespace bitblock
