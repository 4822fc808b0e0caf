#pragma once
// Text from files (stage names, run names, grid values, data set names) on its way into a
// terminal, a CSV or a Markdown file: control characters (newline, ESC, ...) would forge lines,
// rows or terminal escape sequences, a quote or comma would shift CSV columns and a pipe
// Markdown table cells. Each function makes the text inert for its destination; plain text
// (letters, digits, spaces, punctuation other than the ones named) passes unchanged.
#include <string>
#include <string_view>

namespace bitblock {

// Control characters (bytes < 0x20 and 0x7f) as \n, \r, \t, \e or \xHH; a backslash as \\.
std::string printable(std::string_view text);

// One CSV cell (RFC 4180): printable(text), quoted (with "" for ") when it holds a comma, a quote
// or leading/trailing spaces.
std::string csv_cell(std::string_view text);

// One Markdown table cell: printable(text) with '|' as '\|'.
std::string markdown_cell(std::string_view text);

}  // namespace bitblock
