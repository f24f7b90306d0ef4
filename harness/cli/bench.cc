#include "sluice/cli/bench.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>

#include "sluice/analysis/statistics.h"
#include "sluice/cli/app.h"
#include "sluice/pipeline/kafka_client.h"
#include "sluice/report/expectation.h"
#include "sluice/report/reporter.h"
#include "sluice/pipeline/runner.h"
#include "sluice/scenario/scenario.h"
#include "sluice/core/units.h"

namespace sluice {

namespace {

// One variant: the bench file with the common overrides plus its own.
Scenario Variant(const BenchArgs& args, const std::string& pipeline, int threads,
                 const std::string& compression) {
  std::vector<std::string> sets = args.overrides;
  sets.push_back("pipeline=" + pipeline);
  sets.push_back("producers.threads=" + std::to_string(threads));
  sets.push_back("producers.kafka.compression.type=" + compression);
  ScenarioPlan plan = LoadValidatedPlan(args.scenario_file, sets);
  Scenario s = plan.cells.at(0);
  ValidateKafkaProperties(s);
  SourceLocation where;
  where.origin = "sluice bench";
  s.parameters = {{"pipeline", pipeline, where},
                  {"producers.kafka.compression.type", compression, where}};
  return s;
}


}  // namespace

int BenchCommand(const BenchArgs& args, std::ostream& out, std::ostream& err,
                 const std::atomic<bool>& interrupted) {
  if (args.repetitions < 1 || args.compressions.empty()) {
    err << "sluice: error: bench needs at least one repetition and one codec\n";
    return kExitUsage;
  }
  ScenarioPlan plan;
  try {
    for (const auto& codec : args.compressions) {
      plan.cells.push_back(Variant(args, "direct", 1, codec));
      plan.cells.push_back(Variant(args, "queued", args.queued_threads, codec));
    }
  } catch (const ScenarioError& e) {
    err << "sluice: error: " << e.what() << "\n";
    return kExitUsage;
  }
  plan.base = plan.cells.front();
  plan.base.repeat = args.repetitions;
  plan.swept_keys = {"pipeline", "producers.kafka.compression.type"};

  RunOutputs outputs;
  if (!PrepareOutputs(plan, args.results_root, args.command_line, args.overrides, "", err,
                      &outputs)) {
    return kExitResultsUnwritable;
  }
  const std::string& stamp = outputs.stamp;
  ReportContext& context = outputs.context;
  std::unique_ptr<ResultsFolder>& folder = outputs.folder;

  RunOptions options;
  options.run_id = stamp;
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

  out << "queued pipeline (" << args.queued_threads
      << " workers) against the direct librdkafka loop, delivered events/s, "
      << args.repetitions << " alternating repetitions\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-12s %14s %14s %14s %20s\n", "compression", "direct (med)",
                "queued (med)", "ratio (med)", "ratio (min .. max)");
  out << line;
  for (size_t k = 0; k < args.compressions.size(); ++k) {
    std::vector<double> direct, queued, ratios;
    for (int r = 0; r < args.repetitions; ++r) {
      size_t base = static_cast<size_t>(r) * static_cast<size_t>(cells) + 2 * k;
      if (base + 1 >= results.size()) break;
      const CellResult& d = results[base];
      const CellResult& q = results[base + 1];
      if (!d.error.empty() || !q.error.empty() || d.delivered_rate <= 0) continue;
      direct.push_back(d.delivered_rate);
      queued.push_back(q.delivered_rate);
      ratios.push_back(q.delivered_rate / d.delivered_rate);
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
