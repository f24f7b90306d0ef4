#include "sluice/report/timeseries_columns.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "sluice/report/csv.h"

namespace sluice {
namespace {

std::string Fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "";
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, v);
  return text;
}

std::string Integer(uint64_t v) { return std::to_string(v); }

std::vector<TimeseriesColumn> Build() {
  using Row = const IntervalRow&;
  using Cell = const CellResult&;
  std::vector<TimeseriesColumn> c;
  c.push_back({"cell", "", "index in the sweep, from 0", [](Cell r, Row) { return std::to_string(r.cell); }});
  c.push_back({"repetition", "", "from 0", [](Cell r, Row) { return std::to_string(r.repetition); }});
  c.push_back({"t_s", "s",
               "interval start, from the cell's time 0 (the start of the warm-up; report.json's epoch_unix_s on "
               "the wall clock)",
               [](Cell, Row x) { return Fixed(x.t_s, 3); }});
  c.push_back({"length_s", "s", "the interval's length: report.interval; the cell's last row may be shorter",
               [](Cell, Row x) { return Fixed(x.length_s, 3); }});
  c.push_back({"offered", "events", "events the arrival process placed in the interval (by intended time)",
               [](Cell, Row x) { return Integer(x.offered); }});
  c.push_back({"generated", "events", "handed to the queue's when-full policy in the interval",
               [](Cell, Row x) { return Integer(x.generated); }});
  c.push_back({"dropped", "events", "dropped_newest + dropped_oldest in the interval",
               [](Cell, Row x) { return Integer(x.dropped); }});
  c.push_back({"delivered", "events", "delivery reports without error that arrived in the interval",
               [](Cell, Row x) { return Integer(x.delivered); }});
  c.push_back({"failed", "events", "produce() refusals and delivery reports with an error in the interval",
               [](Cell, Row x) { return Integer(x.failed); }});
  c.push_back({"backpressure", "", "ERR__QUEUE_FULL answers from librdkafka in the interval",
               [](Cell, Row x) { return Integer(x.backpressure); }});
  c.push_back({"depth_max", "events", "highest queue depth sampled (every millisecond) in the interval",
               [](Cell, Row x) { return Integer(x.depth_max); }});
  c.push_back({"depth_mean", "events", "mean of those samples", [](Cell, Row x) { return Fixed(x.depth_mean, 3); }});
  c.push_back({"latency.end_to_end.p50_ms", "ms",
               "median end-to-end latency of the events delivered in the interval (any intended time); empty "
               "when none was",
               [](Cell, Row x) { return Fixed(x.e2e_p50_ms, 3); }});
  c.push_back({"latency.end_to_end.p99_ms", "ms", "their 99th percentile",
               [](Cell, Row x) { return Fixed(x.e2e_p99_ms, 3); }});
  c.push_back({"latency.end_to_end.max_ms", "ms", "their exact maximum",
               [](Cell, Row x) { return Fixed(x.e2e_max_ms, 3); }});
  c.push_back({"latency.kafka.p99_ms", "ms",
               "99th percentile of their kafka latency (the accepted produce() call to the delivery report)",
               [](Cell, Row x) { return Fixed(x.kafka_p99_ms, 3); }});
  c.push_back({"faults", "", "the fault actions active in the interval, joined by ';'",
               [](Cell, Row x) { return x.faults; }});
  c.push_back({"host_cpu_pct", "%", "the whole machine's busy share in the interval (/proc/stat), 0-100",
               [](Cell, Row x) { return Fixed(x.host_cpu_pct, 1); }});
  c.push_back({"sluice_cpu_pct", "%",
               "sluice's CPU time in the interval (embedded broker included) as a share of the whole machine, "
               "0-100",
               [](Cell, Row x) { return Fixed(x.sluice_cpu_pct, 1); }});
  return c;
}

}  // namespace

const std::vector<TimeseriesColumn>& TimeseriesColumns() {
  static const std::vector<TimeseriesColumn> columns = Build();
  return columns;
}

std::string TimeseriesHeader() {
  std::vector<std::string> names;
  for (const auto& c : TimeseriesColumns()) names.push_back(c.name);
  return CsvLine(names);
}

std::string TimeseriesRows(const CellResult& cell) {
  std::string out;
  std::vector<std::string> fields;
  for (const IntervalRow& row : cell.timeseries) {
    fields.clear();
    for (const auto& c : TimeseriesColumns()) fields.push_back(c.value(cell, row));
    out += CsvLine(fields);
  }
  return out;
}

std::string TimeseriesMarkdown() {
  std::ostringstream out;
  out << "| column | unit | definition |\n|---|---|---|\n";
  for (const auto& c : TimeseriesColumns()) {
    out << "| `" << c.name << "` | " << c.unit << " | " << c.description << " |\n";
  }
  return out.str();
}

}  // namespace sluice
