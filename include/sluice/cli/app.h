// The commands of the sluice executable, callable without a command line
// (tests call them directly). harness/main.cc only parses arguments.
//
// Exit codes: core/exit_codes.h.
#ifndef SLUICE_CLI_APP_H_
#define SLUICE_CLI_APP_H_

#include <atomic>
#include <ostream>
#include <string>
#include <memory>
#include <vector>

#include "sluice/core/exit_codes.h"
#include "sluice/report/reporter.h"
#include "sluice/scenario/scenario.h"

namespace sluice {

// What the embedded broker does not model; printed with every run on it.
extern const char* const kEmbeddedBrokerNote;

struct RunArgs {
  std::string scenario_file;
  std::vector<std::string> overrides;  // --set key=value
  std::string bootstrap;               // --bootstrap: a real cluster
  std::string results_root = "results";
  bool quiet = false;                  // no status line
  bool check_expectations = true;      // false: --no-expect
  bool plot = false;                   // --plot: also write report.html (sluice plot)
  bool verify = false;                 // --verify: read each cell's topic back (verify: true)
  std::string command_line;
  // --kafka-local: tools/kafka-local for the pause and kill faults; empty:
  // the one beside the sluice executable's source tree, if found.
  std::string kafka_local;
  std::string shard;                   // --shard I/N; "": not sharded (cli/shard_run.h)
  std::string shard_by = "index";      // --shard-by index|key
  std::string start_at;                // --start-at ISO-8601 time
  std::string start_in;                // --start-in duration
  std::string cell_gap;                // --cell-gap duration; "": kDefaultCellGap (cli/shard_run.h)
  int metrics_port = 0;                // --metrics-port: 0 off (cli/metrics.h)
  std::string metrics_hold = "0s";     // --metrics-hold: keep serving this long after the run
};

// Where a run's reports go, set up before anything runs: the results folder
// results/<name>-<UTC>/ (created now, so an unwritable root fails at once)
// and the context every reporter gets. `plan` must outlive it.
struct RunOutputs {
  std::string stamp;  // the run's UTC start, compact: 20261122T041638Z
  std::unique_ptr<ResultsFolder> folder;
  ReportContext context;
};

// Prints the error and returns false when the folder cannot be created.
bool PrepareOutputs(const ScenarioPlan& plan, const std::string& results_root,
                    const std::string& command_line, const std::vector<std::string>& overrides,
                    const std::string& bootstrap, std::ostream& err, RunOutputs* outputs);

int RunCommand(const RunArgs& args, std::ostream& out, std::ostream& err,
               const std::atomic<bool>& interrupted);

// `sluice validate`: loads the plan and checks every cell (librdkafka's
// check once per distinct property set). Exit 0 or 2; throws Interrupted
// (exit 3 in main) when StopRequested() while it works.
int ValidateCommand(const std::string& scenario_file, const std::vector<std::string>& overrides,
                    std::ostream& out, std::ostream& err);

// The most partitions `sluice broker` creates, over all its --topic
// (README.md, "Limits"); the scenario's topic.partitions has the same bound.
constexpr int64_t kMaxBrokerPartitions = 10'000;

// Runs the embedded cluster alone until `interrupted`; prints its bootstrap
// list on `out`. `topics` are "name" or "name:partitions", at most
// kMaxBrokerPartitions partitions in all (exit 2 beyond).
int BrokerCommand(int brokers, const std::string& rtt, const std::vector<std::string>& topics,
                  std::ostream& out, std::ostream& err, const std::atomic<bool>& interrupted);

}  // namespace sluice

#endif  // SLUICE_CLI_APP_H_
