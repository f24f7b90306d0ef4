// `sluice bench`: is the harness ever the bottleneck it measures?
//
// Runs the same overloaded stream through the direct pipeline (the source
// thread calls produce(), as librdkafka's rdkafka_performance does) and the
// queued one (source -> bounded queue -> workers), alternating them on the
// same embedded broker so both see the same machine, for each compression
// codec and `repetitions` times. Prints, per codec, the median delivered
// rate of each and the median and spread of the paired ratios
// queued / direct, and writes the usual results folder (swept keys:
// `pipeline`, `producers.kafka.compression.type`).
#ifndef SLUICE_CLI_BENCH_H_
#define SLUICE_CLI_BENCH_H_

#include <atomic>
#include <ostream>
#include <string>
#include <vector>

namespace sluice {

struct BenchArgs {
  std::string scenario_file = "scenarios/bench-pipeline.yaml";
  std::vector<std::string> overrides;     // --set, applied to both pipelines
  std::vector<std::string> compressions = {"none", "lz4"};
  int repetitions = 5;
  int queued_threads = 2;
  std::string results_root = "results";
  std::string command_line;
};

// Exit codes as app.h.
int BenchCommand(const BenchArgs& args, std::ostream& out, std::ostream& err,
                 const std::atomic<bool>& interrupted);

}  // namespace sluice

#endif  // SLUICE_CLI_BENCH_H_
