#include "sluice/pipeline/synth.h"

#include <algorithm>

#include "sluice/core/exit_codes.h"
#include "sluice/pipeline/documents.h"
#include "sluice/pipeline/json_fields.h"
#include "sluice/scenario/scenario.h"
#include "sluice/pipeline/source.h"
#include "sluice/pipeline/trace_io.h"

namespace sluice {

int SynthCommand(const std::string& scenario_file, const std::vector<std::string>& overrides,
                 const std::string& output, int64_t events, const std::string& start,
                 std::ostream& out, std::ostream& err) {
  if (events < 1) {
    err << "sluice: error: --events: expected a positive count\n";
    return kExitUsage;
  }
  int64_t start_ns = 0;
  if (!ParseIso8601(start, &start_ns)) {
    err << "sluice: error: --start: expected an ISO-8601 time like 2026-01-01T00:00:00Z, got '"
        << start << "'\n";
    return kExitUsage;
  }
  ScenarioPlan plan;
  try {
    plan = LoadPlan(scenario_file, overrides);
  } catch (const ScenarioError& e) {
    err << "sluice: error: " << e.what() << "\n";
    return kExitUsage;
  }
  const Scenario& s = plan.base;
  if (s.source_kind != SourceKind::kSynthetic || s.source.payload == PayloadFormat::kText) {
    err << "sluice: error: " << scenario_file
        << ": synth needs a synthetic source with payload: bluesky or wikipedia\n";
    return kExitUsage;
  }
  DocumentPool documents(s.source.payload, s.source.events, s.seed);
  EventGenerator generator(s.source, s.total_ns(), s.seed);
  std::string line;
  uint64_t bytes = 0, raised = 0;
  int64_t last_ns = 0;
  try {
    TraceWriter writer(output);
    for (int64_t i = 0; i < events; ++i) {
      Event e;
      generator.Next(&e);
      size_t min = documents.MinSize(e.type);
      if (e.size < min) {
        e.size = static_cast<uint32_t>(min);
        ++raised;
      }
      line.resize(e.size);
      documents.Write(e, start_ns / 1000, line.data());
      writer.WriteLine(line);
      bytes += e.size;
      last_ns = e.intended_ns;
    }
    writer.Close();
  } catch (const TraceError& e) {
    err << "sluice: error: " << e.what() << "\n";
    return kExitResultsUnwritable;
  }
  out << output << ": " << events << " " << ToString(s.source.payload) << " events, " << bytes
      << " bytes of payload over " << last_ns / 1e9 << " s of trace time";
  if (raised > 0) out << " (" << raised << " raised to their smallest document)";
  out << "\n";
  return kExitOk;
}

}  // namespace sluice
