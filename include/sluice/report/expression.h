// Conditions and arithmetic over report columns, with units and dimensions:
// the one expression language of `expect:`/`expect_when:` (expectation.h)
// and of `sluice compare --fail-if` (compare.h).
//
//   OP EXPR                    OP: < <= > >= == != (a bare EXPR means ==)
//   within P% of EXPR          |value - EXPR| <= P% of |EXPR|
//   between EXPR and EXPR      both ends included
//
// EXPR is arithmetic (+ - * / and parentheses) over numbers, numbers with a
// unit (250ms, 10k/s, 64KiB) and columns. Every value carries its dimension
// (report_columns.h), so a rate times a duration is a count, and comparing a
// duration with a rate is refused when the condition is compiled. A bare
// number compared with a column takes the column's unit when the column
// states it (ColumnInfo::unit_in_name), and 0 is 0 in any unit. Text and
// true/false columns compare with == and != only.
//
// Limits: an expression nests at most kMaxExpressionDepth parentheses or
// signs, and its tree is at most kMaxExpressionTree levels deep (a chain of
// operators), so that neither parsing, evaluating nor freeing it can
// overflow the stack; beyond that it is refused with a clear error.
//
// Thread-safety: a compiled Condition is immutable; evaluating it from
// several threads is safe. Compiling allocates; evaluating allocates only
// the text of the outcome. Errors: CompileCondition throws ExpressionError.
#ifndef SLUICE_REPORT_EXPRESSION_H_
#define SLUICE_REPORT_EXPRESSION_H_

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sluice/report/report_columns.h"

namespace sluice {

inline constexpr int kMaxExpressionDepth = 64;
inline constexpr int kMaxExpressionTree = 256;

class ExpressionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What names mean where a condition is written.
class ExpressionScope {
 public:
  virtual ~ExpressionScope() = default;
  // The column `name` refers to ("" when none) and its description as seen
  // through that name.
  virtual std::string Resolve(const std::string& name) const = 0;
  virtual ColumnInfo Info(const std::string& name) const = 0;
  // Names to suggest for a near miss.
  virtual std::vector<std::string> Candidates() const = 0;
};

// A cell's values: numbers in canonical units (nullopt: no value) and text.
struct ExpressionValues {
  std::function<std::optional<double>(const std::string& column)> number;
  std::function<std::string(const std::string& column)> text;
};

struct ExpressionNode;

// A compiled condition on one column.
struct Condition {
  Condition();
  ~Condition();
  Condition(Condition&&) noexcept;
  Condition& operator=(Condition&&) noexcept;

  std::string column;  // the column it constrains (resolved)
  ColumnInfo info;
  enum Kind { kCompare, kWithin, kBetween, kText } kind = kCompare;
  std::string op;      // kCompare, kText: < <= > >= == !=
  double percent = 0;  // kWithin
  std::unique_ptr<ExpressionNode> rhs, rhs2;
  std::string text;    // kText: the value compared with
  std::string rhs_text, rhs2_text;  // as written, for the outcome

  // True when the condition's right-hand side names a column.
  bool RefersToColumns() const;
};

// Compiles `condition` on the column `name` (as written). Throws
// ExpressionError; `*bad_column` (if given) is set when `name` itself is not
// a column of `scope`.
Condition CompileCondition(const std::string& name, const std::string& condition,
                           const ExpressionScope& scope, bool* bad_column = nullptr);

struct ConditionOutcome {
  bool passed = false;
  std::string expected;  // the condition with every column evaluated, e.g. "< 250.00ms"
  std::string measured;  // the value, e.g. "312.50ms", or "no value"
};

// Evaluates `c` in a cell. `lhs` is the constrained column's value in
// canonical units (numbers) or, for text conditions, `values.text` is asked.
// A column without a value makes the condition fail, saying so.
ConditionOutcome EvaluateCondition(const Condition& c, const ExpressionValues& values);

// Compares with one of < <= > >= == !=.
bool HoldsComparison(const std::string& op, double value, double threshold);

}  // namespace sluice

#endif  // SLUICE_REPORT_EXPRESSION_H_
