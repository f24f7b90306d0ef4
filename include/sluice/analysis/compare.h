// sluice compare: reads reports back (report.csv) and puts their cells side
// by side.
//
//   sluice compare A B [C ...] [--metrics m1,m2] [--csv FILE] [--fail-if GATE]...
//                  [--by KEY]... [--allow-partial] [--plot [FILE]]
//
// Each input is a report.csv or a results folder holding one. The first is
// the baseline. Cells line up by their swept parameters (the columns after
// `error`): the reports must sweep the same keys, and every combination that
// appears in the baseline and in another report is one line of the table,
// metric by metric: each report's median over its repetitions, the change
// against the baseline in percent, and the best value marked with '*'
// (for metrics with a better direction: the column registry, columns.h).
//
// --by KEY (repeatable): cells line up by KEY instead of the swept keys,
// swept or not. A cell's value of KEY is its report.csv column of that name,
// else for "producers.kafka.X" the value librdkafka used for X in that cell
// (report.json's per-cell effective_config), else the scenario field of that
// dotted name in report.json. A KEY no report has a value for is refused.
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
// against the baseline ('+10%', '-5%') or a value ('0', '250ms', '10k/s'),
// in fact any expression of the expectation language (expression.h, the
// same module as expect:), evaluated on the line's medians.
// Each gate is checked for every line and every report but the baseline, on
// medians. A relative gate on repetitions that a U test can judge holds when
// the test finds the difference not significant. Any gate that trips makes
// the command print what tripped and end with exit code 5 (kExitGateTripped).
//
// Partial reports: a report whose report.json says "partial": true, or that
// has no report.json, is refused unless --allow-partial; then it is marked
// and no gate is checked on it (nor on any, when the baseline is partial).
//
// Refused with a message and exit code 2: a file that is not a sluice report,
// a truncated one (a last line without its newline, a row with the wrong
// number of fields, an open quote, fewer rows than report.json has cells),
// reports that sweep different keys or have no cell in common, unknown
// metrics, malformed gates.
//
// Header: "the runs differ in: revision (abc vs def), overrides (...)":
// only the items that differ among the git revision, the --set overrides,
// the scenario (report.json's scenario section compared as a whole, not a
// hash of the scenario file: it is what was run, after overrides; the
// differing fields are named) and the broker.
//
// --plot [FILE] (default compare.html): also writes one self-contained page
// with the page machinery of `sluice plot` (plot.h: Chart.js inline, CSP
// default-src 'none', the data-sluice-status marker): the end_to_end
// percentile curves of every report overlaid (one per report and
// combination of swept values, its first repetition, labelled
// "B: linger.ms=5"), and a bar chart per metric of each report's change
// against the baseline in percent, coloured and labelled significant / not
// significant / too few repetitions. The bars are the numbers the text table
// prints (recorded as the table is built, not computed twice).
//
// Thread-safety: pure functions of their inputs.
#ifndef SLUICE_ANALYSIS_COMPARE_H_
#define SLUICE_ANALYSIS_COMPARE_H_

#include <cstddef>
#include <map>
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

// One report.csv, read back and checked.
struct Report {
  std::string label;   // "A", "B", ...
  std::string path;    // the report.csv read
  std::string scenario;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> swept_keys;  // the columns after `error`
  bool partial = false;                 // report.json says partial, or is missing
  std::string partial_reason;
  // From report.json: each cell's effective librdkafka configuration, by
  // "<cell>-<repetition>", and the scenario's values by dotted path
  // ("queue.capacity", "producers.kafka.linger.ms").
  std::map<std::string, std::map<std::string, std::string>> cell_config;
  std::map<std::string, std::string> scenario_values;
  // What may differ between runs (the header of compare): report.json's
  // environment.git_revision, its --set overrides, its scenario section as a
  // whole (serialized), and report.csv's broker column. Empty when unknown.
  std::string revision;
  std::vector<std::string> overrides;
  std::string scenario_json;
  std::string broker;
};

// What differs between the runs of `reports`, one item each, only the items
// that differ: "revision (abc vs def)", "overrides (A: none; B: x=1)",
// "scenario (queue.capacity)", "broker (k1:9092 vs k2:9092)". Empty when
// nothing differs. An unknown value (no report.json) counts as a value.
std::vector<std::string> RunDifferences(const std::vector<Report>& reports);

// Reads a report.csv, or the report.csv of a results folder, and the
// report.json beside it: checks that it has as many cells as the CSV has
// rows. A missing or partial report.json is refused unless `allow_partial`
// (then the report is marked partial). Throws CompareError.
Report ReadReport(const std::string& path, const std::string& label, bool allow_partial = false);

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
  // --by KEY...: line cells up by these keys instead of the swept keys.
  std::vector<std::string> by;
  // --allow-partial: compare partial reports (or ones without report.json)
  // too; they are marked, and no gate is checked on them.
  bool allow_partial = false;
  // --plot [FILE]: also write the comparison as one self-contained HTML page
  // (compare.html when FILE is not given).
  std::string plot_path;
};

// The default metrics: delivered_rate, dropped, latency.end_to_end.p50_ms,
// latency.end_to_end.p99_ms, max_depth; CompareCommand adds
// latency.consume.p99_ms when the baseline has values of it (verify: runs).
const std::vector<std::string>& DefaultCompareMetrics();

// Runs the comparison; returns the exit code (0, 2 or 5).
int CompareCommand(const std::vector<std::string>& inputs, const CompareOptions& options,
                   std::ostream& out, std::ostream& err);

}  // namespace sluice

#endif  // SLUICE_ANALYSIS_COMPARE_H_
