// sluice: parses the command line and calls into the library (app.h).
#include <CLI/CLI.hpp>
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <new>

#include "sluice/cli/app.h"
#include "sluice/cli/bench.h"
#include "sluice/pipeline/record.h"
#include "sluice/pipeline/synth.h"
#include "sluice/cli/compare_command.h"
#include "sluice/cli/merge_command.h"
#include "sluice/report/columns.h"
#include "sluice/report/timeseries_columns.h"
#include "sluice/cli/plot_command.h"
#include "sluice/core/exit_codes.h"
#include "sluice/core/stop.h"
#include "sluice/scenario/scenario.h"

namespace {

// The first SIGINT or SIGTERM asks every loop to stop (core/stop.h); the
// command then ends as it would, with what it has written valid. A second
// one ends the process at once with exit code 3: the files are then as
// the last write left them (a trace is written in whole lines).
void OnSignal(int) {
  if (sluice::StopFlag().exchange(true)) {
    static const char kMessage[] = "\nsluice: interrupted twice: exit now\n";
    ssize_t ignored = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    (void)ignored;
    ::_exit(sluice::kExitRunFailed);
  }
}

// `interrupt_reads`: no SA_RESTART, so that a blocking read (record's
// silent standard input) returns and its loop sees the flag. The other
// commands keep SA_RESTART: a console write to a pipe must not fail with
// EINTR because Ctrl-C was pressed.
void InstallSignalHandlers(bool interrupt_reads) {
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = interrupt_reads ? 0 : SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

// --synth --events: digits only, at most kMaxSynthEvents (no wrap-around:
// 18446744073709551617 is refused, not taken as 1).
bool ParseEventCount(const std::string& text, int64_t* out) {
  if (text.empty() || text.size() > 19) return false;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *out = value;
  return true;
}

std::string JoinArgs(int argc, char** argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) out += (i ? " " : "") + std::string(argv[i]);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  // glibc gives every thread that allocates an arena of its own; with the
  // dozens of librdkafka and mock-broker threads a run has, freed memory
  // scattered over them made peak RSS grow with run length (56 MB after
  // 10 s, 76 MB after 60 s at 20k/s). Two arenas keep it flat (59.1 vs
  // 59.5 MB) at no measurable cost to throughput. MALLOC_ARENA_MAX wins.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 2);
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
  // --kafka-local: the script the pause and kill faults call (faults:).
  run_cmd->add_option("--kafka-local", run.kafka_local,
                      "tools/kafka-local for the pause/kill faults (default: found from the executable)");
  // --results: the folder under which results/<name>-<UTC>/ is created.
  run_cmd->add_option("--results", run.results_root, "Results root folder")->capture_default_str();
  // --quiet: no live status line (the summary is still printed).
  run_cmd->add_flag("--quiet,-q", run.quiet, "No live status line");
  // --no-expect: run without checking the scenario's expect:/expect_when:.
  bool no_expect = false;
  run_cmd->add_flag("--no-expect", no_expect, "Do not check the scenario's expectations");
  // --plot: at the end, also write report.html into the results folder (sluice plot).
  run_cmd->add_flag("--plot", run.plot, "Also write report.html (charts) into the results folder");
  // --verify: read each cell's topic back and classify every event, as
  // `verify: true` in the scenario (a verify: map there keeps its carrier).
  run_cmd->add_flag("--verify", run.verify, "Read each cell's topic back and check every event");
  // --shard I/N: run shard I (from 0) of N: rate / N, or every N-th event
  // of a replayed trace (scenario/shard.h); the folder gets shard.json.
  run_cmd->add_option("--shard", run.shard, "Run shard I of N of the offered load, e.g. 0/2");
  // --shard-by: how a replayed trace is split: by event index, or by key hash.
  run_cmd->add_option("--shard-by", run.shard_by, "Split a replayed trace by: index or key")
      ->capture_default_str();
  // --start-at / --start-in: the first cell's warm-up begins then (set-up
  // before), so that shards started apart line up; off by default. Later
  // cells begin in slots every shard computes alike (--cell-gap).
  run_cmd->add_option("--start-at", run.start_at, "Begin at this UTC time (ISO-8601)");
  run_cmd->add_option("--start-in", run.start_in, "Begin this long from now, e.g. 10s");
  // --cell-gap: with a start barrier, each later cell and repetition begins
  // in its own slot: the last one's start + its warm-up and duration + this.
  run_cmd->add_option("--cell-gap", run.cell_gap,
                      "With --start-at/--start-in: the time between one cell's end and the next's start "
                      "(drain, set-up) [5s]");
  // --metrics-port: serve the live counters, queue depth and latency in
  // Prometheus' text format on this port (cli/metrics.h); off by default.
  run_cmd->add_option("--metrics-port", run.metrics_port, "Serve Prometheus metrics on PORT");
  // --metrics-hold: after the run, keep serving the final figures this long.
  run_cmd->add_option("--metrics-hold", run.metrics_hold, "Serve the final metrics this long, e.g. 30s")
      ->capture_default_str();

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

  std::string record_format, record_time_field = "time_us", record_output;
  CLI::App* record_cmd = app.add_subcommand(
      "record", "Record a live stream from standard input as a trace (JSON Lines)");
  // --format: sse (Server-Sent Events, e.g. Wikimedia EventStreams) or jsonl.
  record_cmd->add_option("--format", record_format, "Input format: sse or jsonl")->required();
  // --time-field: the events' time field; where absent, the arrival time is added under it.
  record_cmd->add_option("--time-field", record_time_field, "Event time field (dotted)")
      ->capture_default_str();
  // -o: the trace to write; gzip when it ends in .gz.
  record_cmd->add_option("-o,--output", record_output, "Trace file (.jsonl or .jsonl.gz)")->required();

  std::string synth_file, synth_output, synth_start = "2026-01-01T00:00:00Z";
  std::vector<std::string> synth_overrides;
  std::string synth_events_text;
  CLI::App* synth_cmd =
      app.add_subcommand("synth", "Write a scenario's synthetic events as a replayable trace");
  synth_cmd->add_option("scenario", synth_file, "Scenario YAML file")->required();
  // -o: the trace to write; gzip when it ends in .gz.
  synth_cmd->add_option("-o,--output", synth_output, "Trace file (.jsonl or .jsonl.gz)")->required();
  // --events: how many events to write, 1 to kMaxSynthEvents (synth.h).
  synth_cmd->add_option("--events", synth_events_text, "Number of events (at most 1000000000)")
      ->required();
  // --start: the wall-clock time of the first event (ISO-8601).
  synth_cmd->add_option("--start", synth_start, "Time of the first event")->capture_default_str();
  synth_cmd->add_option("--set", synth_overrides, "Override a key: dotted.key=value");

  sluice::BenchArgs bench;
  bench.command_line = run.command_line;
  CLI::App* bench_cmd = app.add_subcommand(
      "bench", "Is sluice the bottleneck (queued vs direct at full speed) or the load (--cpu)?");
  // --scenario: the stream (default scenarios/bench-pipeline.yaml; with --cpu
  // scenarios/quickstart.yaml).
  bench_cmd->add_option("--scenario", bench.scenario_file, "Base scenario");
  // --repeat: alternating repetitions; the ratio's median and spread are over them.
  bench_cmd->add_option("--repeat", bench.repetitions, "Repetitions")->capture_default_str();
  // --compression: codecs to compare under (each gets its own direct/queued pairs).
  bench_cmd->add_option("--compression", bench.compressions, "Codecs, e.g. none lz4");
  // --threads: workers of the queued pipeline (direct always has one thread).
  bench_cmd->add_option("--threads", bench.queued_threads, "Queued workers")->capture_default_str();
  // --cpu: CPU per delivered event of sluice against a plain paced producer,
  // at fixed rates, against a `sluice broker` in a child process.
  // --identity: compare the queued pipeline without and with each event's
  // identity (verify:, carried in a header or in the value; no consumer).
  bench_cmd->add_option("--identity", bench.identity, "Identity cost: headers or value")
      ->check(CLI::IsMember({"headers", "value"}));
  bench_cmd->add_flag("--cpu", bench.cpu, "Measure CPU per event against a plain paced producer");
  // --rates: the offered rates of --cpu (default 1k/s 20k/s 100k/s).
  bench_cmd->add_option("--rates", bench.rates, "Offered rates for --cpu, e.g. 20k/s 100k/s");
  // --bootstrap: run against this cluster (only sluice's own process is measured).
  bench_cmd->add_option("--bootstrap", bench.bootstrap, "Kafka bootstrap list host:port,...");
  bench_cmd->add_option("--set", bench.overrides, "Override a key for both pipelines");
  bench_cmd->add_option("--results", bench.results_root, "Results root folder")->capture_default_str();
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
  // --by: line cells up by this key (repeatable) instead of the swept keys:
  // a report.csv column, a librdkafka property (producers.kafka.X, from each
  // cell's effective configuration) or a scenario field.
  compare_cmd->add_option("--by", compare.by, "Line cells up by KEY, e.g. producers.kafka.linger.ms (repeatable)");
  // --allow-partial: compare partial reports too (marked, never gated).
  compare_cmd->add_flag("--allow-partial", compare.allow_partial,
                        "Compare partial reports (interrupted runs) too; never gated");
  // --plot [FILE]: also write the comparison as a self-contained HTML page
  // (compare.html without FILE). FILE is optional, so --plot goes after the
  // reports, or as --plot=FILE.
  CLI::Option* compare_plot = compare_cmd->add_option(
      "--plot", compare.plot_path, "Also write the comparison as an HTML page (compare.html, or FILE)")
      ->expected(0, 1)
      ->type_name("[FILE]");

  // columns (hidden): the report columns, as results/README.md's table.
  bool columns_markdown = false;
  bool columns_timeseries = false;
  CLI::App* columns_cmd = app.add_subcommand("columns", "The report columns (results/README.md)");
  columns_cmd->group("");  // hidden from --help
  columns_cmd->add_flag("--markdown", columns_markdown, "The table of results/README.md");
  columns_cmd->add_flag("--timeseries", columns_timeseries, "The timeseries.csv table of results/README.md");

  std::vector<std::string> plot_folders;
  std::string plot_output;
  CLI::App* plot_cmd = app.add_subcommand(
      "plot", "Draw results folders as charts: one offline HTML page (report.html) each");
  // folders: results folders (each holds report.csv).
  plot_cmd->add_option("folders", plot_folders, "Results folders")->required();
  // -o: write the page here instead of into the results folder; with several
  // folders, into DIR/<folder name>/report.html.
  plot_cmd->add_option("-o,--output", plot_output, "Folder to write report.html into");

  std::vector<std::string> merge_inputs;
  sluice::MergeOptions merge;
  merge.command_line = run.command_line;
  CLI::App* merge_cmd = app.add_subcommand(
      "merge", "Merge the results folders of a sharded run (run --shard I/N) into one");
  // folders: every shard's results folder (each has shard.json).
  merge_cmd->add_option("folders", merge_inputs, "The shards' results folders")->required();
  // -o: the merged results folder; created, and refused if it holds anything.
  merge_cmd->add_option("-o,--output", merge.output, "The merged results folder")->required();
  // --scenario: the scenario file, where the path in shard.json does not reach it.
  merge_cmd->add_option("--scenario", merge.scenario_file, "The shards' scenario file");

  auto Dispatch = [&]() -> int {
    if (*run_cmd) {
      run.check_expectations = !no_expect;
      return sluice::RunCommand(run, std::cout, std::cerr, sluice::StopFlag());
    }
    if (*validate_cmd) {
      return sluice::ValidateCommand(validate_file, validate_overrides, std::cout, std::cerr);
    }
    if (*record_cmd) {
      return sluice::RecordCommand(record_format, record_time_field, record_output, std::cin,
                                   std::cerr, sluice::StopFlag());
    }
    if (*synth_cmd) {
      int64_t synth_events = 0;
      if (!ParseEventCount(synth_events_text, &synth_events) || synth_events < 1 ||
          synth_events > sluice::kMaxSynthEvents) {
        std::cerr << "sluice: error: --events: expected a count from 1 to "
                  << sluice::kMaxSynthEvents << ", got '" << synth_events_text << "'\n";
        return sluice::kExitUsage;
      }
      return sluice::SynthCommand(synth_file, synth_overrides, synth_output, synth_events,
                                  synth_start, std::cout, std::cerr, sluice::StopFlag());
    }
    if (*bench_cmd) return sluice::BenchCommand(bench, std::cout, std::cerr, sluice::StopFlag());
    if (*merge_cmd) return sluice::MergeCommand(merge_inputs, merge, std::cout, std::cerr);
    if (*plot_cmd) return sluice::PlotCommand(plot_folders, plot_output, std::cout, std::cerr);
    if (*compare_cmd) {
      if (compare_plot->count() > 0 && compare.plot_path.empty()) compare.plot_path = "compare.html";
      return sluice::CompareCommand(compare_inputs, compare, std::cout, std::cerr);
    }
    if (*columns_cmd) {
      if (columns_timeseries) {
        std::cout << sluice::TimeseriesMarkdown();
      } else if (columns_markdown) {
        std::cout << sluice::ColumnsMarkdown();
      } else {
        for (const auto& c : sluice::ReportColumns()) std::cout << c.name << "\n";
      }
      return sluice::kExitOk;
    }
    if (*broker_cmd) {
      return sluice::BrokerCommand(brokers, rtt, topics, std::cout, std::cerr, sluice::StopFlag());
    }
    return sluice::kExitUsage;
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? sluice::kExitOk : sluice::kExitUsage;
  }
  if (*run_cmd && run_cmd->count("--bootstrap") > 0 && run.bootstrap.empty()) {
    // An empty list would silently mean "the embedded broker".
    std::cerr << "sluice: error: --bootstrap: expected host:port[,host:port...], got ''\n";
    return sluice::kExitUsage;
  }

  InstallSignalHandlers(/*interrupt_reads=*/record_cmd->parsed());
  // Anything a command did not catch is still a clear error with an exit
  // code that says what kind of failure it was, never an abort.
  try {
    return Dispatch();
  } catch (const sluice::Interrupted&) {
    std::cerr << "sluice: interrupted\n";
    return sluice::kExitRunFailed;
  } catch (const sluice::ScenarioError& e) {
    std::cerr << "sluice: error: " << e.what() << "\n";
    return sluice::kExitUsage;
  } catch (const std::bad_alloc&) {
    std::cerr << "sluice: error: out of memory\n";
    return sluice::kExitRunFailed;
  } catch (const std::exception& e) {
    std::cerr << "sluice: error: " << e.what() << "\n";
    return sluice::kExitRunFailed;
  } catch (...) {
    std::cerr << "sluice: error: unknown failure\n";
    return sluice::kExitRunFailed;
  }
}


