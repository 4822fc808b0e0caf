#pragma once
// Names that become folders (a run's `name`, a sweep's `sweep`, a sweep point's expanded name
// template): exactly one path component from a small character set, so a name can neither
// leave its parent folder (`..`, `/`) nor mean anything to a tool that later reads it.
#include <string>

namespace bitblock {

constexpr size_t kMaxFolderNameLength = 100;

// "" when `name` is a usable folder name: 1 to kMaxFolderNameLength characters of
// [A-Za-z0-9._-], not starting with '.' or '-' (so neither "." nor ".." nor a hidden folder nor
// an option); else the problem, for an error message.
std::string folder_name_problem(const std::string& name);

// `text` for an error message: control characters as '?', at most 120 characters.
std::string printable(const std::string& text);

}  // namespace bitblock
