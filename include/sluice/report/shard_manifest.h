// shard.json: what a results folder of one shard (`sluice run --shard I/N`,
// or a run with --start-at) says about itself, and what `sluice merge`
// checks before it adds shards together: which shard of how many, how the
// load was split, when the shards were told to begin and when this one did,
// and where its scenario came from (merge loads it again).
//
// Not thread-safe (plain data); ToJson allocates; ReadShardManifest throws
// ShardManifestError naming the file and what is wrong with it.
#ifndef SLUICE_REPORT_SHARD_MANIFEST_H_
#define SLUICE_REPORT_SHARD_MANIFEST_H_

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "sluice/scenario/shard.h"

namespace sluice {

inline constexpr char kShardManifestFile[] = "shard.json";

struct ShardManifest {
  Shard shard;
  // --start-at (or now + --start-in): when every shard was to begin its
  // first cell's warm-up; NaN without one.
  double start_at_unix_s = NAN;
  std::string start_at_utc;       // the same, ISO-8601 with milliseconds; "" without one
  // When this shard's first cell began (its CellResult::epoch_unix_s); NaN
  // until it has.
  double started_unix_s = NAN;
  // started - its slot when positive (the shard was late), else 0; the
  // slot is start_at for cell 0 rep 0, the cell that begins first unless
  // its set-up failed.
  double late_s = 0;
  // --cell-gap, NaN without a start barrier; and each cell's and
  // repetition's slot (cli/shard_run.h): when it was to begin, when it did.
  double cell_gap_s = NAN;
  struct CellStart {
    int cell = 0;
    int repetition = 0;
    double slot_unix_s = NAN;     // NaN without a start barrier
    double started_unix_s = NAN;  // its CellResult::epoch_unix_s
    double late_s = 0;            // started - slot when positive, else 0
  };
  std::vector<CellStart> cells;   // as they ran
  std::string scenario_file;      // as given on the command line
  std::string scenario_path;      // made absolute
  std::vector<std::string> overrides;  // --set, redacted as in report.json
  std::string run_id;             // in the shard's topic names
};

class ShardManifestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string ToJson(const ShardManifest& manifest);
// Reads `folder`/shard.json.
ShardManifest ReadShardManifest(const std::string& folder);

// Seconds since the Unix epoch as ISO-8601 UTC with milliseconds,
// e.g. 2026-11-30T05:10:00.000Z.
std::string FormatUtcMillis(double unix_s);

}  // namespace sluice

#endif  // SLUICE_REPORT_SHARD_MANIFEST_H_
