// sluice compare: reads reports back (report.csv) and puts their cells side
// by side.
//
//   sluice compare A B [C ...] [--metrics m1,m2] [--csv FILE] [--fail-if GATE]...
//
// Each input is a report.csv or a results folder holding one. The first is
// the baseline. Cells line up by their swept parameters (the columns after
// `error`): the reports must sweep the same keys, and every combination that
// appears in the baseline and in another report is one line of the table,
// metric by metric: each report's median over its repetitions, the change
// against the baseline in percent, and the best value marked with '*'
// (for metrics with a better direction, see report_columns.h).
//
// Significance, as google/benchmark's tools/compare.py does it: a two-sided
// Mann-Whitney U test of each report's repetitions against the baseline's
// (exact for small samples without ties, else the normal approximation with
// tie and continuity correction). It says "significant" or "not
// significant" at --alpha (0.05), and "too few repetitions" when even the
// most extreme outcome of that many repetitions could not reach alpha
// (4 against 4 is the least that can at 0.05), rather than inventing a
// verdict.
//
// Gates: --fail-if 'METRIC OP VALUE', OP one of > >= < <=; VALUE a change
// against the baseline ('+10%', '-5%') or a value ('0', '250ms', '10k/s').
// Each gate is checked for every line and every report but the baseline, on
// medians. A relative gate on repetitions that a U test can judge holds when
// the test finds the difference not significant. Any gate that trips makes
// the command print what tripped and end with exit code 5 (kExitGateTripped).
//
// Refused with a message and exit code 2: a file that is not a sluice report,
// a truncated one (a last line without its newline, a row with the wrong
// number of fields, an open quote, fewer rows than report.json has cells),
// reports that sweep different keys or have no cell in common, unknown
// metrics, malformed gates.
//
// Thread-safety: pure functions of their inputs.
#ifndef SLUICE_ANALYSIS_COMPARE_H_
#define SLUICE_ANALYSIS_COMPARE_H_

#include <cstddef>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// A report that cannot be compared; what() says why, naming the file.
class CompareError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// RFC 4180: records end with LF or CRLF; a field holding a comma, a quote or
// a line break is quoted, quotes doubled. Throws CompareError (naming `name`
// and the line) on an open quote at the end or a stray quote, and when the
// text does not end with a line break (a truncated file).
std::vector<std::vector<std::string>> ParseCsv(std::string_view text, const std::string& name);

// One report.csv, read back and checked.
struct Report {
  std::string label;   // "A", "B", ...
  std::string path;    // the report.csv read
  std::string scenario;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> swept_keys;  // the columns after `error`
};

// Reads a report.csv, or the report.csv of a results folder. When a
// report.json lies beside it, checks that it has as many cells as the CSV
// has rows. Throws CompareError.
Report ReadReport(const std::string& path, const std::string& label);

// The two-sided Mann-Whitney U test of `a` against `b`.
struct UTest {
  bool possible = false;  // false: too few repetitions to ever reach alpha
  double p = 1;           // two-sided p-value (when possible)
  bool exact = false;     // exact distribution (no ties, small samples)
  double u = 0;           // U statistic of `a`
};
// `exact_allowed` false forces the normal approximation (for tests).
UTest MannWhitneyU(const std::vector<double>& a, const std::vector<double>& b, double alpha,
                   bool exact_allowed = true);

// The smallest two-sided p-value an exact test of n1 against n2 values can
// give: 2 / C(n1 + n2, n1), at most 1.
double SmallestPossibleP(size_t n1, size_t n2);

struct CompareOptions {
  std::vector<std::string> metrics;  // empty: the default set
  std::string csv_path;              // non-empty: also write the table there
  std::vector<std::string> fail_if;  // gates
  double alpha = 0.05;
};

// The default metrics: delivered_rate, dropped, latency.end_to_end.p50_ms,
// latency.end_to_end.p99_ms, max_depth.
const std::vector<std::string>& DefaultCompareMetrics();

// Runs the comparison; returns the exit code (0, 2 or 5).
int CompareCommand(const std::vector<std::string>& inputs, const CompareOptions& options,
                   std::ostream& out, std::ostream& err);

}  // namespace sluice

#endif  // SLUICE_ANALYSIS_COMPARE_H_
