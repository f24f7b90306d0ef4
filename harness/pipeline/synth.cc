#include "sluice/pipeline/synth.h"

#include <algorithm>

#include "sluice/core/exit_codes.h"
#include "sluice/pipeline/documents.h"
#include "sluice/pipeline/json_fields.h"
#include "sluice/scenario/scenario.h"
#include "sluice/pipeline/source.h"
#include "sluice/pipeline/trace_io.h"

namespace sluice {

namespace {
// Free space is looked at after every this many bytes written: often enough
// that the reserve (64 MiB) cannot be overrun, rarely enough to cost nothing.
constexpr uint64_t kFreeSpaceCheckBytes = 4ull << 20;
}  // namespace

int SynthCommand(const std::string& scenario_file, const std::vector<std::string>& overrides,
                 const std::string& output, int64_t events, const std::string& start,
                 std::ostream& out, std::ostream& err, const std::atomic<bool>& stop,
                 uint64_t min_free_bytes) {
  if (events < 1 || events > kMaxSynthEvents) {
    err << "sluice: error: --events: expected a count from 1 to " << kMaxSynthEvents << "\n";
    return kExitUsage;
  }
  int64_t start_ns = 0;
  if (!ParseIso8601(start, &start_ns)) {
    err << "sluice: error: --start: expected an ISO-8601 time like 2026-01-01T00:00:00Z, got '"
        << start << "'\n";
    return kExitUsage;
  }
  if (SameFile(scenario_file, output)) {
    err << "sluice: error: -o " << output << ": is the scenario file itself; refusing to "
        << "overwrite it\n";
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
  uint64_t bytes = 0, raised = 0, since_check = 0;
  int64_t last_ns = 0, written = 0;
  bool interrupted = false, disk_full = false;
  try {
    TraceWriter writer(output);
    for (; written < events; ++written) {
      if (stop.load(std::memory_order_relaxed)) {
        interrupted = true;
        break;
      }
      if (since_check >= kFreeSpaceCheckBytes) {
        since_check = 0;
        writer.Flush();
        if (FreeBytesNear(output) < min_free_bytes) {
          disk_full = true;
          break;
        }
      }
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
      since_check += e.size + 1;
      last_ns = e.intended_ns;
    }
    writer.Close();  // whole lines, a finished gzip stream: valid even when cut short
  } catch (const TraceError& e) {
    err << "sluice: error: " << e.what() << "\n";
    return kExitResultsUnwritable;
  }
  out << output << ": " << written << " " << ToString(s.source.payload) << " events, " << bytes
      << " bytes of payload over " << last_ns / 1e9 << " s of trace time";
  if (raised > 0) out << " (" << raised << " raised to their smallest document)";
  out << "\n";
  if (interrupted) {
    err << "sluice: interrupted after " << written << " of " << events
        << " events; the trace is valid and shorter\n";
    return kExitRunFailed;
  }
  if (disk_full) {
    err << "sluice: error: " << output << ": stopped after " << written << " of " << events
        << " events: less than " << (min_free_bytes >> 20)
        << " MiB free on its file system; the trace is valid and shorter\n";
    return kExitResultsUnwritable;
  }
  return kExitOk;
}

}  // namespace sluice
