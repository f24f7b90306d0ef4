// Synth: writes a scenario's synthetic events as a trace in the replay
// format (JSON Lines, gzip when the name ends in .gz): one document per
// event (documents.h), its times set from the event's intended time after
// `start`. The scenario must say source.synthetic.payload: bluesky or
// wikipedia. Events whose size is below their type's smallest document are
// written at that size (counted), so every line is whole JSON. The same
// scenario, seed and start give the same file.
#ifndef SLUICE_PIPELINE_SYNTH_H_
#define SLUICE_PIPELINE_SYNTH_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace sluice {

// `sluice synth`: returns an exit code (app.h); prints a summary on `out`.
int SynthCommand(const std::string& scenario_file, const std::vector<std::string>& overrides,
                 const std::string& output, int64_t events, const std::string& start,
                 std::ostream& out, std::ostream& err);

}  // namespace sluice

#endif  // SLUICE_PIPELINE_SYNTH_H_
