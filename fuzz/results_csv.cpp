// The report reader and writer (input: a results.csv, shared on clusters, so untrusted): what
// read_results_csv accepts goes through sweep_report (tables, fronts, plot data files; gnuplot
// is kept off PATH so no process starts), and every text from the file survives gnuplot quoting
// as text: a quoted string has one meaning however the text is made.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/common/gnuplot.hpp"
#include "bitblock/experiments/report.hpp"
#include "bitblock/experiments/results.hpp"
#include "fuzz_input.hpp"

namespace {

// Reads a gnuplot single-quoted literal back: false when it is not exactly one literal.
bool unquote(const std::string& q, std::string& out) {
  if (q.size() < 2 || q.front() != '\'' || q.back() != '\'') return false;
  out.clear();
  for (size_t i = 1; i + 1 < q.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(q[i]);
    if (c < 0x20 || c == 0x7f) return false;  // a line break would end the command
    if (q[i] == '\'') {
      if (i + 2 >= q.size() || q[i + 1] != '\'') return false;
      ++i;
    }
    out += q[i];
  }
  return true;
}

void check_quoting(const std::string& text) {
  std::string back;
  if (!unquote(bitblock::gnuplot_quote(text), back)) std::abort();
  std::string expected = text;
  for (char& c : expected)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  if (back != expected) std::abort();
  const std::string field = bitblock::gnuplot_data_field(text);
  if (field.find('"', 1) != field.size() - 1 || field.find('\n') != std::string::npos) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("PATH", "", 1);  // no gnuplot: the report writes its data files and Markdown only
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bitblock;
  const std::string sweep = fuzz::temp_dir() + "/sweep";
  make_dirs(sweep);
  const std::string csv = fuzz::write_temp("sweep/results.csv", fuzz::as_string(data, size));
  try {
    const std::vector<experiments::ResultRow> rows = experiments::read_results_csv(csv);
    for (const experiments::ResultRow& r : rows) {
      check_quoting(r.run);
      check_quoting(experiments::run_label(r));
      for (const auto& [k, v] : r.keys) {
        check_quoting(k);
        check_quoting(v);
      }
    }
    experiments::sweep_report(sweep, rows, fuzz::temp_dir() + "/plots", ".");
  } catch (const InputError&) {
  }
  return 0;
}
