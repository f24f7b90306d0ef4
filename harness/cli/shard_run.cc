#include "sluice/cli/shard_run.h"

#include <chrono>
#include <filesystem>

#include "sluice/cli/app.h"
#include "sluice/core/units.h"
#include "sluice/pipeline/json_fields.h"

namespace sluice {

bool PrepareShardRun(const RunArgs& args, ScenarioPlan* plan, std::ostream& err, ShardRun* out) {
  Shard shard;
  if (!args.shard.empty()) {
    std::string error;
    if (!ParseShard(args.shard, &shard, &error)) {
      err << "sluice: error: --shard: " << error << "\n";
      return false;
    }
  }
  if (args.shard_by == "key") {
    shard.by = ShardBy::kKey;
  } else if (args.shard_by != "index") {
    err << "sluice: error: --shard-by: expected index or key, got '" << args.shard_by << "'\n";
    return false;
  }
  if (shard.by == ShardBy::kKey && plan->base.source_kind != SourceKind::kReplay) {
    err << "sluice: error: --shard-by key: only a replayed trace (source.replay) is split by key; "
           "a synthetic source is split by rate\n";
    return false;
  }
  if (shard.active() && plan->base.source.search_max_rate) {
    err << "sluice: error: --shard: source.synthetic.rate: max searches one process's highest rate; "
           "it cannot be split over shards\n";
    return false;
  }
  if (!args.start_at.empty() && !args.start_in.empty()) {
    err << "sluice: error: --start-at and --start-in: give one of them\n";
    return false;
  }
  const int64_t wall_now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  int64_t start_at = 0;
  if (!args.start_at.empty()) {
    if (!ParseIso8601(args.start_at, &start_at) || start_at <= 0) {
      err << "sluice: error: --start-at: expected an ISO-8601 time like 2026-11-30T06:00:00Z, got '"
          << args.start_at << "'\n";
      return false;
    }
  }
  if (!args.start_in.empty()) {
    const auto in = ParseDuration(args.start_in);
    if (!in || *in < 0 || *in > 86'400'000'000'000) {
      err << "sluice: error: --start-in: expected a duration up to 24h like 10s, got '" << args.start_in
          << "'\n";
      return false;
    }
    start_at = wall_now + *in;
  }

  if (start_at != 0) {
    if (start_at > wall_now + 7 * 86'400'000'000'000) {
      err << "sluice: error: --start-at: more than 7 days from now ('" << args.start_at << "')\n";
      return false;
    }
    for (const Scenario& cell : plan->cells) {
      if (cell.source.search_max_rate) {
        err << "sluice: error: --start-at/--start-in: source.synthetic.rate: max runs probes of its own "
               "number and length, which no start slot can line up\n";
        return false;
      }
    }
  }
  if (!args.cell_gap.empty()) {
    if (start_at == 0) {
      err << "sluice: error: --cell-gap: only with --start-at or --start-in (it spaces the cells' start slots)\n";
      return false;
    }
    const auto gap = ParseDuration(args.cell_gap);
    if (!gap || *gap < 0 || *gap > 86'400'000'000'000) {
      err << "sluice: error: --cell-gap: expected a duration up to 24h like 5s, got '" << args.cell_gap << "'\n";
      return false;
    }
    out->cell_gap_ns = *gap;
  }

  plan->base.shard = shard;
  for (Scenario& cell : plan->cells) cell.shard = shard;

  out->wanted = !args.shard.empty() || start_at != 0;
  out->start_at_unix_ns = start_at;
  ShardManifest& m = out->manifest;
  m.shard = shard;
  if (start_at != 0) {
    m.start_at_unix_s = static_cast<double>(start_at) / 1e9;
    m.start_at_utc = FormatUtcMillis(m.start_at_unix_s);
    m.cell_gap_s = static_cast<double>(out->cell_gap_ns) / 1e9;
  }
  m.scenario_file = args.scenario_file;
  std::error_code ec;
  m.scenario_path = std::filesystem::absolute(args.scenario_file, ec).lexically_normal().string();
  if (ec) m.scenario_path = args.scenario_file;
  m.overrides = args.overrides;
  return true;
}

}  // namespace sluice
