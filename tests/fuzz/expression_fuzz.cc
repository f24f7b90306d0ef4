// Fuzz target: the expression language of expect:, expect_when: and
// compare's --fail-if gates (report/expression.h). The input's first line is
// the column, the rest the condition. Any input must compile to a Condition
// that evaluates, or be refused with an ExpressionError; anything else (a
// crash, a stack overflow, a sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sluice/report/columns.h"
#include "sluice/report/expression.h"

namespace {

// The registry's columns, as expectations see them, plus one swept key.
class Scope : public sluice::ExpressionScope {
 public:
  Scope() {
    for (const sluice::Column& c : sluice::ReportColumns()) info_[c.name] = c.Info();
    info_["producers.kafka.linger.ms"] = sluice::DescribeValue("5");
  }
  std::string Resolve(const std::string& name) const override {
    if (info_.count(name) > 0) return name;
    if (info_.count(name + "_ms") > 0) return name + "_ms";
    return "";
  }
  sluice::ColumnInfo Info(const std::string& name) const override { return info_.at(Resolve(name)); }
  std::vector<std::string> Candidates() const override {
    return {"delivered_rate", "dropped", "latency.end_to_end.p99_ms"};
  }

 private:
  std::map<std::string, sluice::ColumnInfo> info_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Scope scope;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const size_t newline = text.find('\n');
  const std::string column = text.substr(0, newline);
  const std::string condition = newline == std::string::npos ? "" : text.substr(newline + 1);
  try {
    sluice::Condition c = sluice::CompileCondition(column, condition, scope);
    sluice::ExpressionValues values;
    values.number = [](const std::string& name) -> std::optional<double> {
      if (name == "dropped") return std::nullopt;  // a column without a value
      return 1.5;
    };
    values.text = [](const std::string&) { return std::string("drop_newest"); };
    volatile bool passed = sluice::EvaluateCondition(c, values).passed;
    (void)passed;
  } catch (const sluice::ExpressionError&) {
    // Refused with a message: the expected outcome for most inputs.
  }
  return 0;
}
