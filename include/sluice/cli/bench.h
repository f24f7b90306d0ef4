// `sluice bench`: is the harness ever the bottleneck it measures, or the
// load on the machine it shares with the system under test?
//
// Full speed (the default):
// Runs the same overloaded stream through the direct pipeline (the source
// thread calls produce(), as librdkafka's rdkafka_performance does) and the
// queued one (source -> bounded queue -> workers), alternating them on the
// same embedded broker so both see the same machine, for each compression
// codec and `repetitions` times. Prints, per codec, the median delivered
// rate of each and the median and spread of the paired ratios
// queued / direct, and writes the usual results folder (swept keys:
// `pipeline`, `producers.kafka.compression.type`). With `bootstrap` both run
// against that cluster instead (e.g. a `sluice broker` in another process).
//
// Identity (`identity`: headers or value): as full speed, but the pairs are
// the queued pipeline without and with every event's identity (verify:
// with that carrier and no consumer), so the ratio is the identity's cost
// in delivered rate (issue 11 asks for less than 5%).
//
// CPU (`cpu`): for each offered rate, alternates sluice's queued pipeline
// (the scenario, default scenarios/quickstart.yaml, at that rate) with the
// plain paced producer of pipeline/paced_producer.h (same events, payload
// bytes and producer settings, one client, 1 ms ticks), and prints CPU
// seconds per million delivered events of each, their ratio (median and
// spread of the pairs), the delivered counts and sluice's source lag. The
// cluster is a `sluice broker` child process (started from
// `sluice_binary`, stopped at the end), so only the producing side is in
// sluice's process; or `bootstrap`. CPU is getrusage of this process over
// each run, set-up and final flush included, for both. Writes the sluice
// cells' reports plus bench-cpu.csv (every repetition of both).
#ifndef SLUICE_CLI_BENCH_H_
#define SLUICE_CLI_BENCH_H_

#include <atomic>
#include <ostream>
#include <string>
#include <vector>

namespace sluice {

struct BenchArgs {
  // Empty: kBenchFullSpeedScenario, or kBenchCpuScenario with `cpu`.
  std::string scenario_file;
  std::vector<std::string> overrides;     // --set, applied to both pipelines
  std::vector<std::string> compressions = {"none", "lz4"};
  int repetitions = 5;
  int queued_threads = 2;
  std::string results_root = "results";
  std::string command_line;
  // Non-empty: run against this cluster (full speed and --cpu).
  std::string bootstrap;
  // --identity: full speed, identity off against on (this carrier).
  std::string identity;
  // --cpu mode, and its offered rates.
  bool cpu = false;
  std::vector<std::string> rates = {"1k/s", "20k/s", "100k/s"};
  // The sluice executable, for the child broker of --cpu (tests run from
  // another binary and give its path).
  std::string sluice_binary = "/proc/self/exe";
};

// The scenarios each mode uses unless --scenario says otherwise.
inline constexpr const char* kBenchFullSpeedScenario = "scenarios/bench-pipeline.yaml";
inline constexpr const char* kBenchCpuScenario = "scenarios/quickstart.yaml";

// Exit codes as app.h.
int BenchCommand(const BenchArgs& args, std::ostream& out, std::ostream& err,
                 const std::atomic<bool>& interrupted);

}  // namespace sluice

#endif  // SLUICE_CLI_BENCH_H_
