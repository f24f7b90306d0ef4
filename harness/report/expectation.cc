#include "sluice/report/expectation.h"

#include <map>
#include <optional>

#include "sluice/report/columns.h"
#include "sluice/report/expression.h"
#include "sluice/report/report_columns.h"

namespace sluice {
namespace {

// The columns a cell's expectations may name: the registry's (columns.h),
// the swept keys (described by this cell's values), and the "_ms"-less
// latency names.
class Columns : public ExpressionScope {
 public:
  Columns(const std::vector<std::string>& swept_keys, const std::vector<Parameter>& parameters) {
    for (const Column& c : ReportColumns()) {
      info_[c.name] = c.Info();
      names_.push_back(c.name);
    }
    for (const auto& key : swept_keys) {
      std::string value;
      for (const auto& p : parameters) {
        if (p.key == key) value = p.value;
      }
      info_[key] = DescribeValue(value);
      names_.push_back(key);
    }
  }

  std::string Resolve(const std::string& name) const override {
    if (info_.count(name) > 0) return name;
    if (info_.count(name + "_ms") > 0) return name + "_ms";
    return "";
  }

  // ColumnInfo as seen through `name`: an alias without the unit in its name
  // does not lend its unit to bare numbers.
  ColumnInfo Info(const std::string& name) const override {
    const std::string column = Resolve(name);
    ColumnInfo info = info_.at(column);
    if (column != name) info.unit_in_name = false;
    return info;
  }

  std::vector<std::string> Candidates() const override {
    std::vector<std::string> out = names_;
    for (const auto& c : names_) {
      if (c.size() > 3 && c.compare(c.size() - 3, 3, "_ms") == 0) out.push_back(c.substr(0, c.size() - 3));
    }
    return out;
  }

 private:
  std::map<std::string, ColumnInfo> info_;
  std::vector<std::string> names_;
};

// A cell's values, straight from the registry's accessors (numbers in
// canonical units) and, for swept keys, from the cell's parameters.
ExpressionValues CellValues(const CellResult& result) {
  ExpressionValues v;
  v.number = [&result](const std::string& column) -> std::optional<double> {
    if (const Column* c = FindColumn(column)) return CanonicalValue(*c, result);
    // A swept value: with a unit it is canonical already.
    auto q = ParseQuantity(ParameterValue(result.scenario, column));
    if (!q) return std::nullopt;
    return q->value;
  };
  v.text = [&result](const std::string& column) -> std::string {
    if (const Column* c = FindColumn(column)) return FormatColumnValue(*c, c->value(result));
    return ParameterValue(result.scenario, column);
  };
  return v;
}

Condition CompileOrThrow(const ExpectationSpec& spec, const Columns& columns) {
  bool bad_column = false;
  try {
    return CompileCondition(spec.column, spec.condition, columns, &bad_column);
  } catch (const ExpressionError& e) {
    if (bad_column) throw ScenarioError(spec.column_where, spec.key, e.what());
    throw ScenarioError(spec.where, spec.key,
                        "'" + spec.condition + "': " + e.what() +
                            " (conditions: '< 250ms', '>= 0.99 * offered_rate', 'within 10% of "
                            "X', 'between X and Y')");
  }
}

// Text values match as written, or as numbers ("0" and "0.0"), or as
// quantities ("1000ms" and "1s").
bool SameValue(const std::string& a, const std::string& b) {
  if (a == b) return true;
  auto qa = ParseQuantity(a);
  auto qb = ParseQuantity(b);
  return qa && qb && qa->dim == qb->dim && qa->value == qb->value;
}

bool Applies(const ExpectationSpec& spec, const std::vector<Parameter>& parameters) {
  for (const auto& w : spec.when) {
    bool matched = false;
    for (const auto& p : parameters) {
      if (p.key == w.key && SameValue(p.value, w.value)) matched = true;
    }
    if (!matched) return false;
  }
  return true;
}

}  // namespace

std::string ResolveColumn(const std::string& name, const std::vector<std::string>& swept_keys) {
  return Columns(swept_keys, {}).Resolve(name);
}

void ValidateExpectations(const ScenarioPlan& plan) {
  // expect_when: each key must be swept and each value one of its values.
  for (const auto& spec : plan.base.expectations) {
    for (const auto& w : spec.when) {
      bool swept = false;
      for (const auto& k : plan.swept_keys) swept = swept || k == w.key;
      if (!swept) {
        std::string keys;
        for (const auto& k : plan.swept_keys) keys += (keys.empty() ? "" : ", ") + k;
        throw ScenarioError(w.where, spec.key.substr(0, spec.key.find(".expect.")) + ".when." + w.key,
                            "not a swept key" + DidYouMean(w.key, plan.swept_keys) +
                                (keys.empty() ? "; this scenario has no sweep"
                                              : "; swept keys: " + keys));
      }
      bool matches = false;
      std::string values;
      for (const auto& cell : plan.cells) {
        for (const auto& p : cell.parameters) {
          if (p.key != w.key) continue;
          matches = matches || SameValue(p.value, w.value);
          if (values.find("'" + p.value + "'") == std::string::npos) {
            values += (values.empty() ? "'" : ", '") + p.value + "'";
          }
        }
      }
      if (!matches) {
        throw ScenarioError(w.where, spec.key.substr(0, spec.key.find(".expect.")) + ".when." + w.key,
                            "'" + w.value + "' matches no cell; the sweep's values are " + values);
      }
    }
  }
  for (const auto& cell : plan.cells) {
    const Columns columns(plan.swept_keys, cell.parameters);
    for (const auto& spec : cell.expectations) CompileOrThrow(spec, columns);
  }
}

std::vector<ExpectationOutcome> CheckExpectations(const CellResult& result,
                                                  const std::vector<std::string>& swept_keys) {
  std::vector<ExpectationOutcome> out;
  const Columns columns(swept_keys, result.scenario.parameters);
  const ExpressionValues values = CellValues(result);
  for (const auto& spec : result.scenario.expectations) {
    if (!Applies(spec, result.scenario.parameters)) continue;
    ExpectationOutcome o;
    o.column = spec.column;
    o.condition = spec.condition;
    o.where = spec.where.ToString();
    try {
      const Condition c = CompileOrThrow(spec, columns);
      const ConditionOutcome outcome = EvaluateCondition(c, values);
      o.passed = outcome.passed;
      o.expected = outcome.expected;
      o.measured = outcome.measured;
    } catch (const ScenarioError& e) {
      // Validated at load time; kept so a bug here fails the expectation
      // rather than the run.
      o.expected = spec.condition;
      o.measured = std::string("cannot evaluate: ") + e.what();
    }
    out.push_back(o);
  }
  return out;
}

ScenarioPlan LoadValidatedPlan(const std::string& path, const std::vector<std::string>& overrides) {
  ScenarioPlan plan = LoadPlan(path, overrides);
  ValidateExpectations(plan);
  return plan;
}

}  // namespace sluice
