#include "sluice/cli/app.h"

#include <filesystem>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <set>
#include <thread>

#include "sluice/cli/metrics.h"
#include "sluice/cli/shard_run.h"
#include "sluice/report/expectation.h"
#include "sluice/pipeline/kafka_client.h"
#include "sluice/cli/plot_command.h"
#include "sluice/analysis/rate_search.h"
#include "sluice/report/reporter.h"
#include "sluice/pipeline/runner.h"
#include "sluice/scenario/scenario.h"
#include "sluice/core/clock.h"
#include "sluice/core/stop.h"
#include "sluice/core/units.h"

namespace sluice {

const char* const kEmbeddedBrokerNote =
    "embedded broker (librdkafka's mock cluster): it ignores acks (every produce is acknowledged "
    "once the leader appended it), has no replication, and keeps only about 5 MiB or 100,000 "
    "batches per partition; use --bootstrap for a real cluster";

namespace {

std::string UtcStamp(bool compact) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, compact ? "%Y%m%dT%H%M%SZ" : "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Loads the plan and checks every librdkafka property of every cell.
// Prints the error and returns false on bad input.
bool LoadAndValidate(const std::string& file, const std::vector<std::string>& overrides,
                     ScenarioPlan* plan, std::ostream& err) {
  try {
    *plan = LoadValidatedPlan(file, overrides);
    // librdkafka's check starts a client (about a millisecond): once per
    // distinct set of properties, not once per cell, so that a sweep of
    // 10,000 cells over other keys costs one.
    std::set<std::vector<std::pair<std::string, std::string>>> checked;
    for (const auto& cell : plan->cells) {
      ThrowIfStopRequested();
      std::vector<std::pair<std::string, std::string>> properties;
      for (const auto& p : cell.producers.kafka) properties.emplace_back(p.name, p.value);
      if (checked.insert(std::move(properties)).second) ValidateKafkaProperties(cell);
    }
    return true;
  } catch (const ScenarioError& e) {
    err << "sluice: error: " << e.what() << "\n";
    return false;
  }
}

bool UsesEmbedded(const ScenarioPlan& plan, const std::string& bootstrap) {
  if (!bootstrap.empty()) return false;
  for (const auto& c : plan.cells) {
    if (c.broker.embedded) return true;
  }
  return false;
}

}  // namespace

bool PrepareOutputs(const ScenarioPlan& plan, const std::string& results_root,
                    const std::string& command_line, const std::vector<std::string>& overrides,
                    const std::string& bootstrap, std::ostream& err, RunOutputs* outputs) {
  outputs->stamp = UtcStamp(true);
  try {
    outputs->folder = std::make_unique<ResultsFolder>(results_root, plan.base.name, outputs->stamp);
  } catch (const ResultsError& e) {
    err << "sluice: error: " << e.what() << "\n";
    return false;
  }
  ReportContext& context = outputs->context;
  context.plan = &plan;
  context.environment = DetectEnvironment(command_line);
  context.environment.librdkafka_version = LibrdkafkaVersion();
  context.overrides = overrides;
  context.broker = bootstrap;
  if (UsesEmbedded(plan, bootstrap)) context.broker_note = kEmbeddedBrokerNote;
  return true;
}

int ValidateCommand(const std::string& scenario_file, const std::vector<std::string>& overrides,
                    std::ostream& out, std::ostream& err) {
  ScenarioPlan plan;
  if (!LoadAndValidate(scenario_file, overrides, &plan, err)) return kExitUsage;
  out << scenario_file << ": OK: scenario '" << plan.base.name << "', " << plan.cells.size()
      << (plan.cells.size() == 1 ? " cell" : " cells") << " x " << plan.base.repeat
      << (plan.base.repeat == 1 ? " repetition" : " repetitions") << ", ";
  const MaxRateSpec& search = plan.base.source.max_rate;
  if (plan.base.source.search_max_rate) {
    out << "rate: max, up to " << search.max_probes << " probes of "
        << FormatDuration(plan.base.warmup_ns + (search.probe_ns > 0 ? search.probe_ns : plan.base.duration_ns))
        << " each";
  } else {
    out << FormatDuration(plan.base.total_ns()) << " each";
  }
  const size_t expectations = plan.base.expectations.size();
  if (expectations > 0) out << ", " << expectations << (expectations == 1 ? " expectation" : " expectations");
  out << "\n";
  return kExitOk;
}

namespace {

// tools/kafka-local of the source tree this sluice was built from: the
// executable sits in a build folder inside it (build/sluice), or "".
std::string DefaultKafkaLocal() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  for (std::filesystem::path dir = exe.parent_path(); !dir.empty() && dir != dir.root_path();
       dir = dir.parent_path()) {
    const std::filesystem::path script = dir / "tools" / "kafka-local";
    if (std::filesystem::exists(script, ec)) return script.string();
  }
  return "";
}

}  // namespace

int RunCommand(const RunArgs& args, std::ostream& out, std::ostream& err,
               const std::atomic<bool>& interrupted) {
  ScenarioPlan plan;
  if (!LoadAndValidate(args.scenario_file, args.overrides, &plan, err)) return kExitUsage;
  if (args.verify) {
    // --verify: as `verify: true`, unless the scenario's verify: says more.
    plan.base.verify.identity = plan.base.verify.consume = true;
    for (Scenario& cell : plan.cells) cell.verify.identity = cell.verify.consume = true;
  }
  ShardRun shard;
  if (!PrepareShardRun(args, &plan, err, &shard)) return kExitUsage;

  // A real cluster must answer before anything else happens.
  for (const auto& cell : plan.cells) {
    std::string bootstrap = !args.bootstrap.empty() ? args.bootstrap
                            : cell.broker.embedded  ? ""
                                                    : cell.broker.bootstrap;
    if (bootstrap.empty()) continue;
    try {
      CheckCluster(bootstrap, cell.broker.connect_timeout_ns);
    } catch (const KafkaSetupError& e) {
      err << "sluice: error: " << e.what() << "\n";
      return kExitRunFailed;
    }
    break;
  }

  // Create the results folder first: an unwritable one fails now, not after
  // the run.
  RunOutputs outputs;
  if (!PrepareOutputs(plan, args.results_root, args.command_line, args.overrides, args.bootstrap,
                      err, &outputs)) {
    return kExitResultsUnwritable;
  }
  const std::string& stamp = outputs.stamp;
  std::unique_ptr<ResultsFolder>& folder = outputs.folder;
  ReportContext& context = outputs.context;

  ConsoleReporter console(out);
  console.ReportContext(context);
  out.flush();

  StatusLine status(err, isatty(STDERR_FILENO) != 0);
  RunOptions options;
  options.bootstrap = args.bootstrap;
  options.run_id = stamp + (shard.manifest.shard.active() ? "-shard" + std::to_string(shard.manifest.shard.index) : "");
  options.interrupted = &interrupted;
  options.kafka_local = args.kafka_local.empty() ? DefaultKafkaLocal() : args.kafka_local;
  shard.manifest.run_id = options.run_id;
  // --metrics-port: the live figures for Prometheus, from the same snapshots.
  std::unique_ptr<MetricsExporter> metrics;
  const auto metrics_hold = ParseDuration(args.metrics_hold);
  if (args.metrics_port != 0) {
    if (args.metrics_port < 1 || args.metrics_port > 65535 || !metrics_hold || *metrics_hold < 0) {
      err << "sluice: error: --metrics-port: expected a port from 1 to 65535 (and --metrics-hold a duration)\n";
      std::error_code ignored;
      std::filesystem::remove(folder->path(), ignored);
      return kExitUsage;
    }
    try {
      metrics = std::make_unique<MetricsExporter>(args.metrics_port, plan.base.name, shard.manifest.shard, options.run_id);
    } catch (const std::exception& e) {
      err << "sluice: error: --metrics-port " << args.metrics_port << ": cannot serve: " << e.what() << "\n";
      std::error_code ignored;
      std::filesystem::remove(folder->path(), ignored);  // still empty: nothing ran
      return kExitUsage;
    }
  }
  options.on_status = [&status, &metrics, quiet = args.quiet](const StatusSnapshot& s) {
    if (!quiet) status.Update(s);
    if (metrics) metrics->Update(s);
  };
  Runner runner(options);

  // Each cell is reported as soon as it ends: its rows and histograms go to
  // the results folder at once, the console keeps a line of it. An
  // interrupt, or a cell that throws, ends the run with a partial report of
  // the cells before it.
  try {
    folder->Begin(context);
    if (shard.wanted) folder->WriteFile(kShardManifestFile, ToJson(shard.manifest));
  } catch (const ResultsError& e) {
    err << "sluice: error: " << e.what() << "\n";
    return kExitResultsUnwritable;
  }
  bool failed = false;
  bool expectation_failed = false;
  std::string partial;  // why the run stopped early; "" when it did not
  const int cells = static_cast<int>(plan.cells.size());
  int64_t slot = shard.start_at_unix_ns;  // this cell's start barrier (cli/shard_run.h); 0: none
  for (int c = 0; c < cells && partial.empty(); ++c) {
    for (int r = 0; r < plan.cells[c].repeat && partial.empty(); ++r) {
      if (interrupted.load()) {
        partial = "interrupted before cell " + std::to_string(c) + " repetition " + std::to_string(r);
        break;
      }
      runner.BeginNextCellAt(slot);
      CellResult result;
      try {
        if (plan.cells[c].source.search_max_rate) {
          result = SearchMaxRate(runner, plan.cells[c], c, cells, r, [&](const RateProbe& p) {
            status.End();
            out << "  cell " << c << " rep " << r << " probe " << FormatRate(p.rate) << ": "
                << (p.passed ? "sustained" : "not sustained: " + p.why) << "\n";
            out.flush();
          });
        } else {
          result = runner.RunCell(plan.cells[c], c, cells, r);
        }
      } catch (const std::exception& e) {
        status.End();
        partial = "cell " + std::to_string(c) + " repetition " + std::to_string(r) + " failed: " + e.what();
        err << "sluice: " << partial << "\n";
        break;
      }
      status.End();
      if (!result.error.empty()) {
        failed = true;
        err << "sluice: cell " << c << " repetition " << r << " failed: " << result.error << "\n";
      }
      if (args.check_expectations) {
        result.expectations = CheckExpectations(result, plan.swept_keys);
        result.expectations_checked = true;
        // The console's summary lists the failures, expected against measured.
        for (const auto& e : result.expectations) expectation_failed = expectation_failed || !e.passed;
      }
      console.ReportCell(result);
      try {
        if (shard.wanted && result.epoch_unix_s > 0) {
          // The shard's start, and how late each cell was against its slot.
          ShardManifest& m = shard.manifest;
          ShardManifest::CellStart start;
          start.cell = c;
          start.repetition = r;
          start.started_unix_s = result.epoch_unix_s;
          if (slot != 0) {
            start.slot_unix_s = static_cast<double>(slot) / 1e9;
            start.late_s = std::max(0.0, start.started_unix_s - start.slot_unix_s);
          }
          // The shard's start: its first cell that began (cell 0 rep 0 unless
          // that one failed in its set-up), late against its own slot.
          if (m.cells.empty()) {
            m.started_unix_s = start.started_unix_s;
            m.late_s = start.late_s;
          }
          m.cells.push_back(start);
          if (start.late_s > 0.01) {
            err << "sluice: shard " << m.shard.ToString() << " cell " << c << " rep " << r << " began "
                << FormatDuration(static_cast<int64_t>(start.late_s * 1e9));
            if (c == 0 && r == 0) {
              err << " after --start-at " << m.start_at_utc << " (its set-up took longer)\n";
            } else {
              err << " after its slot " << FormatUtcMillis(start.slot_unix_s)
                  << " (the last cell's drain and this one's set-up took longer than --cell-gap "
                  << FormatDuration(shard.cell_gap_ns) << ")\n";
            }
          }
          folder->WriteFile(kShardManifestFile, ToJson(m));
        }
        folder->AddCell(result);
        if (metrics) metrics->CellDone(result);
      } catch (const ResultsError& e) {
        err << "sluice: error: " << e.what() << "\n";
        return kExitResultsUnwritable;
      }
      if (interrupted.load()) {
        partial = "interrupted during cell " + std::to_string(c) + " repetition " + std::to_string(r);
      }
      slot = shard.SlotAfter(slot, plan.cells[c]);
    }
  }
  if (!partial.empty()) console.MarkPartial(partial);
  console.Finalize();

  try {
    folder->Finish(partial);
  } catch (const ResultsError& e) {
    err << "sluice: error: " << e.what() << "\n";
    return kExitResultsUnwritable;
  }
  out << "results: " << folder->path() << (partial.empty() ? "" : " (partial)") << "\n";
  if (metrics) {
    // The final figures stay up for a last scrape (--metrics-hold).
    metrics->RunDone();
    out.flush();
    const int64_t until = NowNs() + *metrics_hold;
    while (NowNs() < until && !interrupted.load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // --plot: report.html, drawn from the folder's files as `sluice plot` draws
  // it; not from a partial report, which plot refuses.
  const bool plot_failed =
      args.plot && partial.empty() && PlotCommand({folder->path()}, "", out, err) != kExitOk;
  if (args.plot && !partial.empty()) err << "sluice: --plot: not drawn, the report is partial\n";
  if (!partial.empty()) {
    err << "sluice: " << (interrupted.load() ? "interrupted" : "stopped") << "; the report holds the "
        << folder->cells() << (folder->cells() == 1 ? " cell" : " cells")
        << " that ran and is marked partial\n";
    return kExitRunFailed;
  }
  if (failed) return kExitRunFailed;
  if (expectation_failed) {
    err << "sluice: expectations failed (listed above); exit code " << kExitExpectationFailed << "\n";
    return kExitExpectationFailed;
  }
  return plot_failed ? kExitResultsUnwritable : kExitOk;
}

int BrokerCommand(int brokers, const std::string& rtt, const std::vector<std::string>& topics,
                  std::ostream& out, std::ostream& err, const std::atomic<bool>& interrupted) {
  auto rtt_ns = ParseDuration(rtt);
  if (!rtt_ns || *rtt_ns % 1'000'000 != 0) {
    err << "sluice: error: --rtt: expected whole milliseconds like 0ms or 20ms, got '" << rtt << "'\n";
    return kExitUsage;
  }
  if (brokers < 1 || brokers > 16) {
    err << "sluice: error: --brokers: expected 1 to 16\n";
    return kExitUsage;
  }
  // Every --topic is checked before the cluster starts; partitions are
  // limited (kMaxBrokerPartitions in all): the mock cluster allocates each
  // one at once, and 10^8 of them took 5.8 GB.
  std::vector<std::pair<std::string, int>> wanted;
  int64_t total_partitions = 0;
  for (const auto& t : topics) {
    size_t colon = t.find(':');
    std::string name = t.substr(0, colon);
    int64_t partitions = 1;
    if (colon != std::string::npos) {
      std::string digits = t.substr(colon + 1);
      partitions = 0;
      bool ok = !digits.empty() && digits.size() <= 9;
      for (char c : digits) {
        ok = ok && c >= '0' && c <= '9';
        if (ok) partitions = partitions * 10 + (c - '0');
      }
      if (!ok) partitions = 0;
    }
    if (name.empty() || partitions < 1) {
      err << "sluice: error: --topic " << t << ": expected NAME or NAME:PARTITIONS\n";
      return kExitUsage;
    }
    total_partitions += partitions;
    if (total_partitions > kMaxBrokerPartitions) {
      err << "sluice: error: --topic " << t << ": at most " << kMaxBrokerPartitions
          << " partitions in all\n";
      return kExitUsage;
    }
    wanted.emplace_back(name, static_cast<int>(partitions));
  }
  try {
    EmbeddedCluster cluster(brokers, *rtt_ns);
    for (const auto& [name, partitions] : wanted) {
      if (interrupted.load()) return kExitOk;
      cluster.CreateTopic(name, partitions, 1);
    }
    err << kEmbeddedBrokerNote << "\n";
    out << cluster.bootstrap() << std::endl;
    while (!interrupted.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } catch (const KafkaSetupError& e) {
    err << "sluice: error: " << e.what() << "\n";
    return kExitRunFailed;
  }
  return kExitOk;
}

}  // namespace sluice
