#include "sluice/cli/compare_command.h"

#include "sluice/core/exit_codes.h"

namespace sluice {
namespace {

int Fail(const CompareError& e, std::ostream& err) {
  err << "sluice: error: " << e.what() << "\n";
  return e.kind() == CompareError::Kind::kUnwritable ? kExitResultsUnwritable : kExitUsage;
}

}  // namespace

int CompareCommand(const std::vector<std::string>& inputs, const CompareOptions& options,
                   std::ostream& out, std::ostream& err) {
  Comparison comparison;
  try {
    comparison = CompareReports(inputs, options);
  } catch (const CompareError& e) {
    return Fail(e, err);
  }
  out << ComparisonText(comparison);
  try {
    if (!options.plot_path.empty()) {
      WriteComparisonPage(comparison, options.plot_path);
      out << "\npage written to " << options.plot_path << "\n";
    }
    if (!options.csv_path.empty()) {
      WriteComparisonCsv(comparison, options.csv_path);
      out << "\ntable written to " << options.csv_path << "\n";
    }
  } catch (const CompareError& e) {
    return Fail(e, err);
  }
  out << GateText(comparison);
  const size_t tripped = comparison.tripped.size();
  if (tripped == 0) return kExitOk;
  err << "sluice: " << tripped << (tripped == 1 ? " gate" : " gates") << " tripped; exit code "
      << kExitGateTripped << "\n";
  return kExitGateTripped;
}

}  // namespace sluice
