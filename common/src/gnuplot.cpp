#include "bitblock/common/gnuplot.hpp"

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/common/process.hpp"

namespace bitblock {

namespace {

bool control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

}  // namespace

bool gnuplot_available() {
  static const bool available = !find_program("gnuplot").empty();
  return available;
}

std::string gnuplot_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += "''";
    else out += control(c) ? ' ' : c;
  }
  return out + "'";
}

std::string gnuplot_data_field(const std::string& text) {
  std::string out = "\"";
  for (char c : text) out += c == '"' ? '\'' : control(c) ? ' ' : c;
  return out + "\"";
}

bool run_gnuplot_script(const std::string& script, const std::string& script_path, const std::string& working_dir) {
  if (!gnuplot_available()) return false;
  write_file_atomic(script_path, script);
  try {
    return run_process({"gnuplot"}, {script_path, "", working_dir}) == 0;
  } catch (const InputError&) {
    return false;  // gnuplot vanished since it was found: no plots, as when it is not installed
  }
}

}  // namespace bitblock
