// Synth: writes a scenario's synthetic events as a trace in the replay
// format (JSON Lines, gzip when the name ends in .gz): one document per
// event (documents.h), its times set from the event's intended time after
// `start`. The scenario must say source.synthetic.payload: bluesky or
// wikipedia. Events whose size is below their type's smallest document are
// written at that size (counted), so every line is whole JSON. The same
// scenario, seed and start give the same file.
#ifndef SLUICE_PIPELINE_SYNTH_H_
#define SLUICE_PIPELINE_SYNTH_H_

#include <atomic>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "sluice/pipeline/trace_io.h"

namespace sluice {

// The most events one synth writes (README.md, "Limits"): about 500 GB of
// bluesky documents; a larger --events is refused.
constexpr int64_t kMaxSynthEvents = 1'000'000'000;

// `sluice synth`: returns an exit code (exit_codes.h); prints a summary on
// `out`. Stops early, with a valid shorter trace, when `stop` is set (exit
// 3) or when the output's file system has less than `min_free_bytes` free
// (exit 4). Refuses an output that is the scenario file itself (also
// through a symlink or a hard link). Not thread-safe; allocates per line
// only when a line outgrows the last.
int SynthCommand(const std::string& scenario_file, const std::vector<std::string>& overrides,
                 const std::string& output, int64_t events, const std::string& start,
                 std::ostream& out, std::ostream& err, const std::atomic<bool>& stop,
                 uint64_t min_free_bytes = kMinFreeBytes);

}  // namespace sluice

#endif  // SLUICE_PIPELINE_SYNTH_H_
