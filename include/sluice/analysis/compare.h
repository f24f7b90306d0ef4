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
// the test finds the difference not significant. A tripped gate is part of
// the result (Comparison::tripped), not an error: the command
// (cli/compare_command.h) prints what tripped and ends with exit code 5.
//
// Partial reports: a report whose report.json says "partial": true, or that
// has no report.json, is refused unless --allow-partial; then it is marked
// and no gate is checked on it (nor on any, when the baseline is partial).
//
// Refused (CompareError::Kind::kRefused; the command's exit code 2): a file
// that is not a sluice report,
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
// Failure: CompareError, whose kind says whether the input was refused or an
// output (--csv, --plot) could not be written.
//
// Thread-safety: pure functions of their inputs and the files they read and
// write.
#ifndef SLUICE_ANALYSIS_COMPARE_H_
#define SLUICE_ANALYSIS_COMPARE_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/analysis/error.h"
#include "sluice/analysis/plot.h"

namespace sluice {

// A comparison that cannot be made (kRefused) or written (kUnwritable: the
// --csv or --plot file).
class CompareError : public AnalysisError {
 public:
  using AnalysisError::AnalysisError;
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
// latency.end_to_end.p99_ms, max_depth; CompareReports adds
// latency.consume.p99_ms when the baseline has values of it (verify: runs).
const std::vector<std::string>& DefaultCompareMetrics();

// A comparison made: the reports lined up, the table computed and every gate
// checked. Plain data; the text and the files are rendered from it.
struct Comparison {
  std::vector<Report> reports;          // the first is the baseline
  std::vector<std::string> keys;        // what cells line up by: --by, else the swept keys
  std::vector<std::string> metrics;     // the metrics' names, as asked
  std::vector<std::string> notes;       // cells left out or missing, scenarios that differ
  std::vector<std::string> differences;  // RunDifferences(reports)
  double alpha = 0.05;
  // Header row first: the table as printed (keys, metric, then per report
  // its median, and but for the baseline its change and verdict) and as
  // --csv writes it (every digit, repetitions, p-values, the best reports).
  std::vector<std::vector<std::string>> table;
  std::vector<std::vector<std::string>> csv;
  size_t gates = 0;  // how many --fail-if gates were checked
  // One row per tripped gate and line: keys, gate, report, baseline median,
  // median, change, verdict.
  std::vector<std::vector<std::string>> tripped;
  std::vector<std::string> held;  // relative gates that held because the change was not significant
  std::vector<CompareBar> bars;   // the --plot bars: the table's own numbers
};

// Reads and lines up `inputs` (the first is the baseline), computes the
// table and checks the gates. Throws CompareError (kRefused).
Comparison CompareReports(const std::vector<std::string>& inputs, const CompareOptions& options);

// The text of the comparison: which reports, what differs between their
// runs, the notes, and the table.
std::string ComparisonText(const Comparison& comparison);

// The gates' verdict: those that held only by the U test, then "none
// tripped" or the table of those that tripped. Empty when no gate was given.
std::string GateText(const Comparison& comparison);

// Write the table as CSV, and the page of --plot (its curves read from the
// reports' folders); each replaces `path` whole or leaves it as it was.
// Throw CompareError (kUnwritable).
void WriteComparisonCsv(const Comparison& comparison, const std::string& path);
void WriteComparisonPage(const Comparison& comparison, const std::string& path);

}  // namespace sluice

#endif  // SLUICE_ANALYSIS_COMPARE_H_
