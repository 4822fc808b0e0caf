#pragma once
// gnuplot without a shell and without pasting data into its scripts. Every text a script holds
// that did not come from the program itself (a path, a title holding a run or sweep name, a
// label read from results.csv) goes in as a single-quoted gnuplot string: gnuplot does no
// backquote, macro or backslash processing inside one, and a doubled '' is its only escape.
// Line breaks, which would end the command, become spaces. Labels in data files are
// double-quoted fields (data is never executed; a '"' would only split the field).
#include <string>

namespace bitblock {

// Whether a gnuplot executable is on PATH (looked up once).
bool gnuplot_available();

// `text` as a gnuplot single-quoted string literal, quotes included: it'x -> 'it''x'.
std::string gnuplot_quote(const std::string& text);

// `text` as one double-quoted field of a gnuplot data file: '"' becomes '\'', control characters
// become spaces.
std::string gnuplot_data_field(const std::string& text);

// Writes `script` to script_path (atomically) and runs gnuplot on it (the script on its stdin,
// output discarded) in working_dir (empty: the current one). False when gnuplot is missing or
// fails. The script stays where it was written.
bool run_gnuplot_script(const std::string& script, const std::string& script_path, const std::string& working_dir = "");

}  // namespace bitblock
