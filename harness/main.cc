// sluice: parses the command line and calls into the library (app.h).
#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <iostream>

#include "sluice/app.h"
#include "sluice/compare.h"

namespace {

std::atomic<bool> g_interrupted{false};

void OnSignal(int) { g_interrupted.store(true); }

std::string JoinArgs(int argc, char** argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) out += (i ? " " : "") + std::string(argv[i]);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sluice: how Kafka producers behave under backpressure"};
  app.require_subcommand(1);

  sluice::RunArgs run;
  run.command_line = JoinArgs(argc, argv);
  CLI::App* run_cmd = app.add_subcommand("run", "Run a scenario (and its sweep), write reports");
  run_cmd->add_option("scenario", run.scenario_file, "Scenario YAML file")->required();
  // --set: overrides any scenario key for every cell, e.g. --set producers.threads=4.
  run_cmd->add_option("--set", run.overrides, "Override a key: dotted.key=value (repeatable)");
  // --bootstrap: produce to this real cluster instead of the scenario's broker.
  run_cmd->add_option("--bootstrap", run.bootstrap, "Real Kafka bootstrap list host:port,...");
  // --results: the folder under which results/<name>-<UTC>/ is created.
  run_cmd->add_option("--results", run.results_root, "Results root folder")->capture_default_str();
  // --quiet: no live status line (the summary is still printed).
  run_cmd->add_flag("--quiet,-q", run.quiet, "No live status line");
  // --no-expect: run without checking the scenario's expect:/expect_when:.
  bool no_expect = false;
  run_cmd->add_flag("--no-expect", no_expect, "Do not check the scenario's expectations");

  std::string validate_file;
  std::vector<std::string> validate_overrides;
  CLI::App* validate_cmd = app.add_subcommand("validate", "Check a scenario; run nothing");
  validate_cmd->add_option("scenario", validate_file, "Scenario YAML file")->required();
  validate_cmd->add_option("--set", validate_overrides, "Override a key: dotted.key=value");

  int brokers = 3;
  std::string rtt = "0ms";
  std::vector<std::string> topics;
  CLI::App* broker_cmd =
      app.add_subcommand("broker", "Run the embedded cluster alone until SIGINT/SIGTERM");
  // --brokers: how many mock brokers (1 to 16).
  broker_cmd->add_option("--brokers", brokers, "Number of brokers")->capture_default_str();
  // --rtt: injected round-trip time of every broker, whole milliseconds.
  broker_cmd->add_option("--rtt", rtt, "Injected round-trip time, e.g. 20ms")->capture_default_str();
  // --topic: create NAME with PARTITIONS partitions (default 1).
  broker_cmd->add_option("--topic", topics, "Create a topic: NAME[:PARTITIONS] (repeatable)");

  std::vector<std::string> compare_inputs;
  sluice::CompareOptions compare;
  CLI::App* compare_cmd = app.add_subcommand(
      "compare", "Put the cells of two or more reports side by side (the first is the baseline)");
  // reports: report.csv files or results folders; the first is the baseline.
  compare_cmd->add_option("reports", compare_inputs, "report.csv files or results folders")->required();
  // --metrics: report columns to compare (comma-separated or repeated); the
  // default is delivered_rate, dropped, end-to-end p50 and p99, max_depth.
  compare_cmd->add_option("--metrics", compare.metrics, "Columns to compare, e.g. dropped,latency.end_to_end.p99")
      ->delimiter(',');
  // --csv: also write the table as CSV to this file.
  compare_cmd->add_option("--csv", compare.csv_path, "Write the table as CSV to FILE");
  // --fail-if: a regression gate; any that trips ends with exit code 5.
  compare_cmd->add_option("--fail-if", compare.fail_if,
                          "Gate: 'METRIC > +10%' or 'METRIC > VALUE' (repeatable)");
  // --alpha: significance level of the Mann-Whitney U test.
  compare_cmd->add_option("--alpha", compare.alpha, "Significance level of the U test")->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? sluice::kExitOk : sluice::kExitUsage;
  }

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);

  if (*run_cmd) {
    run.check_expectations = !no_expect;
    return sluice::RunCommand(run, std::cout, std::cerr, g_interrupted);
  }
  if (*validate_cmd) {
    return sluice::ValidateCommand(validate_file, validate_overrides, std::cout, std::cerr);
  }
  if (*compare_cmd) return sluice::CompareCommand(compare_inputs, compare, std::cout, std::cerr);
  if (*broker_cmd) {
    return sluice::BrokerCommand(brokers, rtt, topics, std::cout, std::cerr, g_interrupted);
  }
  return sluice::kExitUsage;
}
