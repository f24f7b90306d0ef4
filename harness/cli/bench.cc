#include "sluice/cli/bench.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <sstream>
#include <thread>

#include "sluice/analysis/statistics.h"
#include "sluice/cli/app.h"
#include "sluice/pipeline/kafka_client.h"
#include "sluice/pipeline/paced_producer.h"
#include "sluice/report/expectation.h"
#include "sluice/report/reporter.h"
#include "sluice/pipeline/runner.h"
#include "sluice/scenario/scenario.h"
#include "sluice/core/units.h"

namespace sluice {

namespace {

// One variant: the bench file with the common overrides plus its own.
// `identity`: "" leaves verify: as the file has it; "off" turns it off;
// headers or value carries the identity that way, without a consumer.
Scenario Variant(const BenchArgs& args, const std::string& pipeline, int threads,
                 const std::string& compression, const std::string& identity = "") {
  std::vector<std::string> sets = args.overrides;
  sets.push_back("pipeline=" + pipeline);
  sets.push_back("producers.threads=" + std::to_string(threads));
  sets.push_back("producers.kafka.compression.type=" + compression);
  if (identity == "off") {
    sets.push_back("verify=false");
  } else if (!identity.empty()) {
    sets.push_back("verify.carrier=" + identity);
    sets.push_back("verify.consume=false");
  }
  ScenarioPlan plan = LoadValidatedPlan(args.scenario_file, sets);
  Scenario s = plan.cells.at(0);
  ValidateKafkaProperties(s);
  SourceLocation where;
  where.origin = "sluice bench";
  s.parameters = {{identity.empty() ? "pipeline" : "identity", identity.empty() ? pipeline : identity, where},
                  {"producers.kafka.compression.type", compression, where}};
  return s;
}

// `sluice broker` as a child process, so that the cluster's CPU is not in
// the figures of sluice's process. Set-up only; throws KafkaSetupError.
class BrokerProcess {
 public:
  // `topic` (NAME:PARTITIONS) is created at start: the mock cluster does
  // not serve the Admin API's CreateTopics.
  BrokerProcess(const std::string& binary, int brokers, const std::string& topic) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw KafkaSetupError("cannot start the broker process: pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    const std::string count = std::to_string(brokers);
    std::vector<std::string> words = {binary, "broker", "--brokers", count, "--topic", topic};
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
      close(fds[0]);
      pid_ = -1;
      throw KafkaSetupError("cannot start " + binary + " broker: " + std::strerror(rc));
    }
    // Its first line is the bootstrap list.
    std::string line;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < give_up) {
      pollfd p{fds[0], POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buffer[256];
      const ssize_t n = read(fds[0], buffer, sizeof buffer);
      if (n <= 0) break;
      line.append(buffer, static_cast<size_t>(n));
    }
    close(fds[0]);
    const size_t end = line.find('\n');
    if (end == std::string::npos || end == 0) {
      Stop();
      throw KafkaSetupError("the broker process (" + binary + " broker) printed no bootstrap list");
    }
    bootstrap_ = line.substr(0, end);
  }
  ~BrokerProcess() { Stop(); }
  BrokerProcess(const BrokerProcess&) = delete;
  BrokerProcess& operator=(const BrokerProcess&) = delete;

  const std::string& bootstrap() const { return bootstrap_; }
  pid_t pid() const { return pid_; }

 private:
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    // `sluice broker` looks at its flag every 100 ms; a stuck one is killed.
    for (int i = 0; i < 50; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  pid_t pid_ = -1;
  std::string bootstrap_;
};

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// One rate's cell: the scenario at that rate.
Scenario RateCell(const BenchArgs& args, const std::string& file, const std::string& rate) {
  std::vector<std::string> sets = args.overrides;
  sets.push_back("source.synthetic.rate=" + rate);
  ScenarioPlan plan = LoadValidatedPlan(file, sets);
  Scenario s = plan.cells.at(0);
  if (s.source_kind != SourceKind::kSynthetic) {
    SourceLocation where;
    where.file = s.file;
    throw ScenarioError(where, "source", "bench --cpu needs a synthetic source");
  }
  if (s.pipeline != PipelineKind::kQueued) {
    SourceLocation where;
    where.file = s.file;
    throw ScenarioError(where, "pipeline", "bench --cpu measures the queued pipeline");
  }
  ValidateKafkaProperties(s);
  SourceLocation where;
  where.origin = "sluice bench --cpu";
  s.parameters = {{"source.synthetic.rate", rate, where}};
  return s;
}

struct CpuRun {
  double cpu_s = 0;
  uint64_t delivered = 0;
  uint64_t scheduled = 0;
  uint64_t unsent = 0;  // the schedule's events the source was too late for (source.h)
  double per_million() const { return delivered ? cpu_s / static_cast<double>(delivered) * 1e6 : 0; }
};

// A run delivered its schedule when it delivered all of it but what its
// source was too late for at the end (source.h: more than 10 ms behind when
// the schedule ended, a busy machine's late wake-up), and that is a few
// events: at most 5% of the schedule.
bool DeliveredItsSchedule(const CpuRun& run) {
  return run.delivered + run.unsent == run.scheduled && run.unsent * 20 <= run.scheduled;
}

int BenchCpuCommand(const BenchArgs& args, std::ostream& out, std::ostream& err,
                    const std::atomic<bool>& interrupted) {
  const std::string file = args.scenario_file.empty() ? kBenchCpuScenario : args.scenario_file;
  if (args.rates.empty()) {
    err << "sluice: error: bench --cpu needs at least one rate\n";
    return kExitUsage;
  }
  ScenarioPlan plan;
  try {
    for (const auto& rate : args.rates) plan.cells.push_back(RateCell(args, file, rate));
  } catch (const ScenarioError& e) {
    err << "sluice: error: " << e.what() << "\n";
    return kExitUsage;
  }
  plan.base = plan.cells.front();
  plan.base.repeat = args.repetitions;
  plan.swept_keys = {"source.synthetic.rate"};

  std::unique_ptr<BrokerProcess> broker;
  std::string bootstrap = args.bootstrap;
  try {
    if (bootstrap.empty()) {
      // One topic for every run, made by the broker itself; the mock keeps
      // only the newest batches of each partition, so it never fills up.
      const std::string topic = plan.base.topic.name + ".bench";
      broker = std::make_unique<BrokerProcess>(
          args.sluice_binary, plan.base.broker.brokers,
          topic + ":" + std::to_string(plan.base.topic.partitions));
      for (Scenario& cell : plan.cells) {
        cell.topic.name = topic;
        cell.topic.reuse = true;
      }
      bootstrap = broker->bootstrap();
      err << "bench: cluster: sluice broker, pid " << broker->pid() << ", " << bootstrap << "\n";
    }
    CheckCluster(bootstrap, plan.base.broker.connect_timeout_ns);
  } catch (const KafkaSetupError& e) {
    err << "sluice: error: " << e.what() << "\n";
    return kExitRunFailed;
  }

  RunOutputs outputs;
  if (!PrepareOutputs(plan, args.results_root, args.command_line, args.overrides, bootstrap, err,
                      &outputs)) {
    return kExitResultsUnwritable;
  }
  RunOptions options;
  options.run_id = outputs.stamp;
  options.bootstrap = bootstrap;
  options.interrupted = &interrupted;
  Runner runner(options);

  const size_t rates = plan.cells.size();
  std::vector<CellResult> results;
  std::vector<std::vector<CpuRun>> sluice_runs(rates), paced_runs(rates);
  std::ostringstream csv;
  csv << "rate,repetition,variant,delivered,cpu_s,cpu_s_per_million,source_lag_p50_ms,"
         "source_lag_p99_ms,source_lag_max_ms,scheduled,unsent\n";
  bool failed = false;
  for (int r = 0; r < args.repetitions && !interrupted.load(); ++r) {
    for (size_t k = 0; k < rates && !interrupted.load(); ++k) {
      const Scenario& cell = plan.cells[k];
      const std::string& rate = args.rates[k];
      // Alternate which goes first, so a drift of the machine hits both.
      for (int turn = 0; turn < 2 && !interrupted.load(); ++turn) {
        const bool sluice_turn = (turn == 0) == (r % 2 == 0);
        err << "bench: repetition " << r + 1 << "/" << args.repetitions << ", " << rate << ", "
            << (sluice_turn ? "sluice" : "paced") << "\n";
        char row[256];
        if (sluice_turn) {
          CellResult result = runner.RunCell(cell, static_cast<int>(k), static_cast<int>(rates), r);
          if (!result.error.empty()) {
            failed = true;
            err << "sluice: bench cell failed: " << result.error << "\n";
          } else {
            CpuRun run{result.cpu_user_s + result.cpu_system_s, result.delivered, result.scheduled,
                       result.unsent};
            sluice_runs[k].push_back(run);
            const LatencyHistogram* lag = result.source_lag.get();
            std::snprintf(row, sizeof row, "%s,%d,sluice,%llu,%.4f,%.4f,%.4f,%.4f,%.4f,%llu,%llu\n",
                          rate.c_str(), r, static_cast<unsigned long long>(run.delivered), run.cpu_s,
                          run.per_million(), lag ? lag->ValueAtPercentile(50) / 1e6 : 0.0,
                          lag ? lag->ValueAtPercentile(99) / 1e6 : 0.0, lag ? lag->Max() / 1e6 : 0.0,
                          static_cast<unsigned long long>(run.scheduled),
                          static_cast<unsigned long long>(run.unsent));
            csv << row;
          }
          results.push_back(std::move(result));
        } else {
          try {
            // A topic of its own, as sluice's cells get (on the broker
            // process: the one topic it made).
            TopicSpec spec = cell.topic;
            const std::string topic = spec.reuse ? spec.name
                                                 : cell.topic.name + "." + outputs.stamp + ".paced.c" +
                                                       std::to_string(k) + "r" + std::to_string(r);
            const double cpu_before = CpuSeconds();
            CreateTopicOnCluster(bootstrap, spec, topic, cell.broker.connect_timeout_ns);
            PacedResult paced = RunPacedProducer(cell, bootstrap, topic, interrupted);
            CpuRun run{CpuSeconds() - cpu_before, paced.delivered, paced.scheduled, paced.unsent};
            if (paced.failed + paced.purged > 0 || !DeliveredItsSchedule(run)) {
              err << "bench: the paced producer failed " << paced.failed << ", left "
                  << paced.purged << " unresolved and " << paced.unsent << " unsent\n";
            }
            paced_runs[k].push_back(run);
            std::snprintf(row, sizeof row, "%s,%d,paced,%llu,%.4f,%.4f,,,,%llu,%llu\n", rate.c_str(), r,
                          static_cast<unsigned long long>(run.delivered), run.cpu_s, run.per_million(),
                          static_cast<unsigned long long>(run.scheduled),
                          static_cast<unsigned long long>(run.unsent));
            csv << row;
          } catch (const std::exception& e) {
            failed = true;
            err << "sluice: bench paced producer failed: " << e.what() << "\n";
          }
        }
      }
    }
  }

  out << "CPU per million delivered events: sluice's queued pipeline against a plain paced producer\n"
      << "(" << file << ", " << args.repetitions << " alternating repetitions; cluster "
      << (broker ? "sluice broker in another process" : bootstrap) << ")\n";
  char line[320];
  std::snprintf(line, sizeof line, "%-10s %12s %12s %9s %16s %14s %14s %26s\n", "offered",
                "sluice s/M", "paced s/M", "ratio", "ratio min..max", "sluice deliv.",
                "paced deliv.", "source lag p50/p99/max ms");
  out << line;
  for (size_t k = 0; k < rates; ++k) {
    const size_t pairs = std::min(sluice_runs[k].size(), paced_runs[k].size());
    std::vector<double> s, p, ratios, sd, pd, lag50, lag99, lagmax;
    bool same = true;  // each pair delivered the same, but for what its source was too late to send
    for (size_t i = 0; i < pairs; ++i) {
      s.push_back(sluice_runs[k][i].per_million());
      p.push_back(paced_runs[k][i].per_million());
      if (p.back() > 0) ratios.push_back(s.back() / p.back());
      sd.push_back(static_cast<double>(sluice_runs[k][i].delivered));
      pd.push_back(static_cast<double>(paced_runs[k][i].delivered));
      const CpuRun& a = sluice_runs[k][i];
      const CpuRun& b = paced_runs[k][i];
      same = same && a.scheduled == b.scheduled && DeliveredItsSchedule(a) && DeliveredItsSchedule(b);
    }
    for (const auto& result : results) {
      if (result.cell != static_cast<int>(k) || !result.error.empty() || !result.source_lag) continue;
      lag50.push_back(result.source_lag->ValueAtPercentile(50) / 1e6);
      lag99.push_back(result.source_lag->ValueAtPercentile(99) / 1e6);
      lagmax.push_back(result.source_lag->Max() / 1e6);
    }
    if (ratios.empty()) continue;
    auto [lo, hi] = std::minmax_element(ratios.begin(), ratios.end());
    char range[64], lag[64];
    std::snprintf(range, sizeof range, "%.2f .. %.2f", *lo, *hi);
    std::snprintf(lag, sizeof lag, "%.3f / %.3f / %.3f", Median(lag50), Median(lag99), Median(lagmax));
    std::snprintf(line, sizeof line, "%-10s %12.3f %12.3f %9.2f %16s %14.0f %14.0f %26s\n",
                  args.rates[k].c_str(), Median(s), Median(p), Median(ratios), range, Median(sd),
                  Median(pd), lag);
    out << line;
    if (!same) {
      // Both run the same schedule; a source more than 10 ms late at the
      // end leaves the rest unsent (a late wake-up of a busy machine), and
      // anything else undelivered is worth a look.
      out << "  note: at " << args.rates[k]
          << " the two did not deliver the same schedule (see bench-cpu.csv: scheduled, unsent)\n";
    }
  }
  try {
    outputs.folder->WriteAll(outputs.context, results);
    outputs.folder->WriteFile("bench-cpu.csv", csv.str());
  } catch (const ResultsError& e) {
    err << "sluice: error: " << e.what() << "\n";
    return kExitResultsUnwritable;
  }
  out << "results: " << outputs.folder->path() << "\n";
  if (interrupted.load()) return kExitRunFailed;
  return failed ? kExitRunFailed : kExitOk;
}

}  // namespace

int BenchCommand(const BenchArgs& args, std::ostream& out, std::ostream& err,
                 const std::atomic<bool>& interrupted) {
  if (args.repetitions < 1) {
    err << "sluice: error: bench needs at least one repetition\n";
    return kExitUsage;
  }
  if (args.cpu) return BenchCpuCommand(args, out, err, interrupted);
  if (args.repetitions < 1 || args.compressions.empty()) {
    err << "sluice: error: bench needs at least one repetition and one codec\n";
    return kExitUsage;
  }
  BenchArgs full = args;
  if (full.scenario_file.empty()) full.scenario_file = kBenchFullSpeedScenario;
  ScenarioPlan plan;
  try {
    for (const auto& codec : args.compressions) {
      if (args.identity.empty()) {
        plan.cells.push_back(Variant(full, "direct", 1, codec));
        plan.cells.push_back(Variant(full, "queued", args.queued_threads, codec));
      } else {
        plan.cells.push_back(Variant(full, "queued", args.queued_threads, codec, "off"));
        plan.cells.push_back(Variant(full, "queued", args.queued_threads, codec, args.identity));
      }
    }
  } catch (const ScenarioError& e) {
    err << "sluice: error: " << e.what() << "\n";
    return kExitUsage;
  }
  plan.base = plan.cells.front();
  plan.base.repeat = args.repetitions;
  plan.swept_keys = {args.identity.empty() ? "pipeline" : "identity", "producers.kafka.compression.type"};

  RunOutputs outputs;
  if (!PrepareOutputs(plan, args.results_root, args.command_line, args.overrides, args.bootstrap,
                      err, &outputs)) {
    return kExitResultsUnwritable;
  }
  const std::string& stamp = outputs.stamp;
  ReportContext& context = outputs.context;
  std::unique_ptr<ResultsFolder>& folder = outputs.folder;

  RunOptions options;
  options.run_id = stamp;
  options.bootstrap = args.bootstrap;
  options.interrupted = &interrupted;
  Runner runner(options);
  std::vector<CellResult> results;
  const int cells = static_cast<int>(plan.cells.size());
  bool failed = false;
  // Alternate: every repetition runs each codec's direct cell, then its
  // queued cell, so slow drifts of the machine hit both alike.
  for (int r = 0; r < args.repetitions && !interrupted.load(); ++r) {
    for (int c = 0; c < cells && !interrupted.load(); ++c) {
      err << "bench: repetition " << r + 1 << "/" << args.repetitions << ", "
          << plan.cells[c].parameters[0].value << " "
          << plan.cells[c].parameters[1].value << "\n";
      CellResult result = runner.RunCell(plan.cells[c], c, cells, r);
      if (!result.error.empty()) {
        failed = true;
        err << "sluice: bench cell failed: " << result.error << "\n";
      }
      results.push_back(std::move(result));
    }
  }

  const bool identity = !args.identity.empty();
  if (identity) {
    out << "queued pipeline (" << args.queued_threads << " workers) without and with each event's identity ("
        << args.identity << "), delivered events/s, " << args.repetitions << " alternating repetitions\n";
  } else {
    out << "queued pipeline (" << args.queued_threads
        << " workers) against the direct librdkafka loop, delivered events/s, "
        << args.repetitions << " alternating repetitions\n";
  }
  char line[256];
  std::snprintf(line, sizeof line, "%-12s %14s %14s %14s %20s\n", "compression",
                identity ? "off (med)" : "direct (med)", identity ? "on (med)" : "queued (med)",
                "ratio (med)", "ratio (min .. max)");
  out << line;
  std::vector<std::string> wire_lines;
  for (size_t k = 0; k < args.compressions.size(); ++k) {
    std::vector<double> direct, queued, ratios, wire_ratios;
    for (int r = 0; r < args.repetitions; ++r) {
      size_t base = static_cast<size_t>(r) * static_cast<size_t>(cells) + 2 * k;
      if (base + 1 >= results.size()) break;
      const CellResult& d = results[base];
      const CellResult& q = results[base + 1];
      if (!d.error.empty() || !q.error.empty() || d.delivered_rate <= 0) continue;
      direct.push_back(d.delivered_rate);
      queued.push_back(q.delivered_rate);
      ratios.push_back(q.delivered_rate / d.delivered_rate);
      // The identity's bytes against its work: bytes on the wire per second
      // of the window, on against off, as the delivered rate times the bytes
      // per message sent (librdkafka's tx_bytes / txmsgs over the cell, a
      // ratio that does not depend on the period).
      if (identity && d.wire_messages > 0 && q.wire_messages > 0) {
        const double d_per = static_cast<double>(d.wire_bytes) / static_cast<double>(d.wire_messages);
        const double q_per = static_cast<double>(q.wire_bytes) / static_cast<double>(q.wire_messages);
        wire_ratios.push_back((q.delivered_rate * q_per) / (d.delivered_rate * d_per));
      }
    }
    if (!wire_ratios.empty()) {
      char wire[160];
      std::snprintf(wire, sizeof wire, "%-12s wire bytes/s on / off (med) %.3f\n", args.compressions[k].c_str(),
                    Median(wire_ratios));
      wire_lines.push_back(wire);
    }
    if (ratios.empty()) continue;
    auto [lo, hi] = std::minmax_element(ratios.begin(), ratios.end());
    char range[64];
    std::snprintf(range, sizeof range, "%.3f .. %.3f", *lo, *hi);
    std::snprintf(line, sizeof line, "%-12s %14s %14s %14.3f %20s\n", args.compressions[k].c_str(),
                  FormatRate(Median(direct)).c_str(), FormatRate(Median(queued)).c_str(),
                  Median(ratios), range);
    out << line;
  }
  if (!wire_lines.empty()) {
    out << "the identity's bytes: wire bytes per second (tx_bytes, every request) with it against without;\n"
           "near 1 where the rate is bound by bytes (the embedded broker copies every byte in this process)\n";
    for (const auto& l : wire_lines) out << l;
  }
  try {
    folder->WriteAll(context, results);
  } catch (const ResultsError& e) {
    err << "sluice: error: " << e.what() << "\n";
    return kExitResultsUnwritable;
  }
  out << "results: " << folder->path() << "\n";
  if (interrupted.load()) return kExitRunFailed;
  return failed ? kExitRunFailed : kExitOk;
}

}  // namespace sluice
