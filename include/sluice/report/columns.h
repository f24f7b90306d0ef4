// The registry of report columns: one entry per column of report.csv, from
// which everything that shows a cell's figures is derived: the CSV header
// and rows (csv_reporter.cc), the "columns" object of each cell in
// report.json, the console summary, the expectation language
// (expectation.h: evaluated on the accessors' numbers, not on CSV text),
// `sluice compare`'s metrics and --fail-if gates, and the column table of
// results/README.md (ColumnsMarkdown(), checked by a test).
//
// Adding a column is one entry in ReportColumns() (columns.cc): its name,
// type, dimension and unit, which way is better, a one-line description and
// an accessor from `const CellResult&`. Swept keys are columns too, after
// `error`, described by their values (DescribeValue, report_columns.h).
//
// Thread-safety: ReportColumns() builds the table once (thread-safe static
// initialisation) and returns it read-only; every function is pure.
// Allocation: the accessors return text by value; the registry is not used on
// the hot path.
#ifndef SLUICE_REPORT_COLUMNS_H_
#define SLUICE_REPORT_COLUMNS_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/pipeline/run_result.h"
#include "sluice/report/report_columns.h"

namespace sluice {

// A column's value in one cell: a number in the column's report unit (e.g.
// milliseconds for latency.*_ms), text, or nothing ("no value": an empty
// CSV field, null in JSON).
struct ColumnValue {
  enum class Kind { kNone, kNumber, kText, kBool };
  Kind kind = Kind::kNone;
  double number = 0;  // kNumber; kBool: 1 or 0
  std::string text;   // kText

  static ColumnValue None() { return {}; }
  static ColumnValue Number(double v);  // a non-finite v is None()
  static ColumnValue Text(std::string s) { return {Kind::kText, 0, std::move(s)}; }
  static ColumnValue Bool(bool b) { return {Kind::kBool, b ? 1.0 : 0.0, {}}; }
  bool has_value() const { return kind != Kind::kNone; }
};

struct Column {
  std::string name;         // as in the CSV header
  ColumnType type = ColumnType::kNumber;
  Dimension dim;            // of the canonical value (seconds, bytes, events)
  double scale = 1;         // canonical value = report value x scale
  std::string unit;         // the report unit, for people: "ms", "s", "events/s", "MB/s", ""
  int decimals = 0;         // CSV: digits after the point; 0 writes an integer
  Better better = Better::kNeither;
  std::string group;        // the heading it is listed under in results/README.md
  std::string description;  // one line, quoted in results/README.md
  std::function<ColumnValue(const CellResult&)> value;  // in the report unit

  // The description expectations and compare use (unit_in_name: a bare
  // number compared with a registry column is in its report unit).
  ColumnInfo Info() const;
};

// Every column of report.csv before the swept keys, in CSV order; `error`
// is the last.
const std::vector<Column>& ReportColumns();

// The registry entry named `name`, or nullptr.
const Column* FindColumn(std::string_view name);

// The CSV text of a value: integers as integers, other numbers with the
// column's decimals, text as is, booleans as true/false, nothing as "".
std::string FormatColumnValue(const Column& column, const ColumnValue& value);

// A cell's value of a column in canonical units (report value x scale);
// nullopt for no value or a text column.
std::optional<double> CanonicalValue(const Column& column, const CellResult& cell);

// The value a cell was built with for a swept key; "" when it has none.
std::string ParameterValue(const Scenario& scenario, const std::string& key);

// The column table of results/README.md, as Markdown: one row per column
// (name, unit, better, description) under its group's heading row. The
// README holds it between <!-- columns:begin --> and <!-- columns:end -->;
// `sluice columns --markdown` prints it.
std::string ColumnsMarkdown();

}  // namespace sluice

#endif  // SLUICE_REPORT_COLUMNS_H_
