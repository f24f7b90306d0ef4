#include <cmath>
#include <cstdio>

#include "sluice/core/units.h"
#include "sluice/report/reporter.h"

namespace sluice {

void StatusLine::Update(const StatusSnapshot& s) {
  // The interval's figures, as its row of timeseries.csv has them; "-" where
  // the interval has no value (nothing delivered yet, e.g. early warm-up).
  const IntervalRow& row = s.interval;
  const std::string p99 = s.p99_ns < 0 ? "-" : FormatDuration(s.p99_ns);
  char line[320];
  std::snprintf(line, sizeof line,
                "[cell %d/%d rep %d/%d] %.1fs/%.1fs offered %s delivered %s depth %llu "
                "dropped %llu p99 %s%s%s",
                s.cell + 1, s.cells, s.repetition + 1, s.repetitions, s.elapsed_s, s.total_s,
                FormatRate(s.offered_per_s).c_str(), FormatRate(s.delivered_per_s).c_str(),
                static_cast<unsigned long long>(s.depth),
                static_cast<unsigned long long>(s.dropped), p99.c_str(), row.faults.empty() ? "" : " fault ",
                row.faults.c_str());
  if (terminal_) {
    // Back to the start of the line and clear it, then the new status; no
    // newline, so the next update overwrites it.
    out_ << "\r\033[K" << line;
    open_ = true;
  } else {
    out_ << line << "\n";
  }
  out_.flush();
}

void StatusLine::End() {
  // Erase the in-place line so whatever is printed next starts on a clean one.
  if (terminal_ && open_) {
    out_ << "\r\033[K";
    out_.flush();
  }
  open_ = false;
}

}  // namespace sluice
