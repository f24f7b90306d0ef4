// IntervalRow: what one report interval (report.interval, 1 s by default)
// of one cell measured: a row of timeseries.csv (its columns are named and
// described once, in report/timeseries_columns.h) and the figures of the
// live status line. Rows cover the whole cell from the schedule's time 0
// (the start of the warm-up): warm-up, window, drain and flush.
//
// The counts of a cell's rows add up exactly to the cell's totals
// (run_result.h): offered to `scheduled`, generated, dropped, delivered,
// failed and backpressure to theirs. Unresolved events (purged or left at
// the deadlines) are in no row.
//
// Plain data; also the faults and recovery figures of a cell.
#ifndef SLUICE_PIPELINE_INTERVAL_ROW_H_
#define SLUICE_PIPELINE_INTERVAL_ROW_H_

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace sluice {

struct IntervalRow {
  double t_s = 0;       // interval start, seconds from the cell's time 0 (CellResult::epoch_unix_s)
  double length_s = 0;  // report.interval; the last row of a cell may be shorter
  uint64_t offered = 0;       // events the arrival process placed in the interval (by intended time)
  uint64_t generated = 0;     // handed to the queue's when-full policy in the interval
  uint64_t dropped = 0;       // dropped_newest + dropped_oldest in the interval
  uint64_t delivered = 0;     // delivery reports without error that arrived in the interval
  uint64_t failed = 0;        // produce() refusals and delivery reports with an error in the interval
  uint64_t backpressure = 0;  // ERR__QUEUE_FULL answers in the interval
  uint64_t depth_max = 0;     // highest queue depth sampled (every millisecond) in the interval
  double depth_mean = 0;      // mean of those samples
  // Latency of the events delivered in the interval (whatever their intended
  // time, warm-up included), in ms; NaN when none was delivered.
  double e2e_p50_ms = NAN, e2e_p99_ms = NAN, e2e_max_ms = NAN;
  double kafka_p99_ms = NAN;
  std::string faults;          // the fault actions active in the interval, ';'-separated
  double host_cpu_pct = NAN;   // the whole machine's busy share (/proc/stat), 0-100
  double sluice_cpu_pct = NAN; // this process's CPU time as a share of the whole machine, 0-100
  // The interval's histograms in HdrHistogram's compressed V2 encoding
  // (base64, core/hdr_log.h), values in ns; "" when empty. For the
  // <cell>-<rep>.intervals.hlog file, so that shards merge exactly.
  std::string end_to_end_hist, kafka_hist;
  double e2e_max_ms_for_log = 0;    // the interval's exact maxima (the .hlog's MAX column)
  double kafka_max_ms_for_log = 0;
};

// What one fault action of the scenario did in one cell (faults.h).
struct FaultOutcome {
  std::string label;      // FaultSpec::Label(), e.g. "rtt 200ms"
  double at_s = 0;        // from the cell's time 0, as configured
  double duration_s = 0;  // as configured; 0 for an instant action
  double applied_s = NAN; // when it was applied (NaN: never)
  double undone_s = NAN;  // when its undo ran (NaN: none)
  std::string error;      // non-empty: it could not be applied (the cell failed)
  int exit_code = -1;     // exec, pause, kill: the command's exit code
  std::string output;     // exec, pause, kill: the first lines the command printed
};

// The recovery figures of a cell with faults (recovery.h).
struct RecoveryFigures {
  bool had_faults = false;
  double recovery_s = NAN;       // NaN: never recovered
  uint64_t fault_drops = 0;
  uint64_t fault_depth_max = 0;
};

}  // namespace sluice

#endif  // SLUICE_PIPELINE_INTERVAL_ROW_H_
