// Expectations: what a scenario says each of its cells must show, checked
// against the cell's report row once it has run.
//
//   expect:                                   every cell
//     dropped: 0
//     latency.end_to_end.p99: "< 250ms"
//     delivered_rate: ">= 0.99 * offered_rate"
//   expect_when:                              only the cells whose swept values match
//     - when: { producers.kafka.linger.ms: 0 }
//       expect: { dropped: "> 0" }
//
// The key is any report.csv column (the column registry, columns.h, and
// the swept keys); a latency may drop its "_ms" (latency.end_to_end.p99).
// The condition is the expression language of expression.h (shared with
// `sluice compare --fail-if`):
//
//   OP EXPR                    OP: < <= > >= == != (a bare EXPR means ==)
//   within P% of EXPR          |value - EXPR| <= P% of |EXPR|
//   between EXPR and EXPR      both ends included
//
// and EXPR is arithmetic (+ - * / and parentheses, nested at most 64 deep)
// over numbers, numbers with a unit (250ms, 10k/s, 64KiB) and report
// columns, each carrying its dimension, so comparing a duration with a rate
// is refused when the scenario is loaded. A bare number takes the unit of
// the column it is compared with when the column's name states it
// (`latency.end_to_end.p99_ms: "< 250"`, `peak_rss_mb`, `wall_s`), or when
// the column is a rate (events/s), a byte count or a count; otherwise
// (`latency.end_to_end.p99: "< 250"`) it needs a unit. Text columns
// (when_full, error, ...) and ledger_ok compare with == or != only. Values
// come from the registry's accessors, not from CSV text.
//
// A condition that refers to a column with no value in the cell (an empty
// field: a latency of a cell that delivered nothing) fails, saying so.
//
// Thread-safety: pure functions of their arguments.
#ifndef SLUICE_REPORT_EXPECTATION_H_
#define SLUICE_REPORT_EXPECTATION_H_

#include <string>
#include <vector>

#include "sluice/pipeline/run_result.h"
#include "sluice/scenario/scenario.h"

namespace sluice {

// Compiles every expectation of every cell of `plan`: column names (with a
// suggestion for a near miss), syntax, units and dimensions; and checks that
// each expect_when key is a swept key and each of its values one of the sweep
// values. Throws ScenarioError naming the file, line and column.
// LoadValidatedPlan() calls it, so a scenario with a bad expectation never runs.
void ValidateExpectations(const ScenarioPlan& plan);

// LoadPlan() (scenario.h), then ValidateExpectations(): what every command
// that runs or checks a scenario loads. Throws ScenarioError.
ScenarioPlan LoadValidatedPlan(const std::string& path, const std::vector<std::string>& overrides);

// Checks the expectations of result.scenario that apply to this cell (those
// whose `when` matches the cell's swept values) against the cell's report row
// (the registry's accessors, columns.h). One outcome per expectation, in the order of the scenario. Never
// throws: an expectation that cannot be evaluated fails and says why.
std::vector<ExpectationOutcome> CheckExpectations(const CellResult& result,
                                                  const std::vector<std::string>& swept_keys);

// The report column an expectation's name refers to ("latency.end_to_end.p99"
// -> "latency.end_to_end.p99_ms"), or "" when there is none. `swept_keys`
// are columns too.
std::string ResolveColumn(const std::string& name, const std::vector<std::string>& swept_keys);

}  // namespace sluice

#endif  // SLUICE_REPORT_EXPECTATION_H_
