// Reading back what hdr_log.h writes: HdrHistogram's V2 compressed
// encoding and its interval log (.hlog), so that `sluice merge` adds shards'
// histograms exactly (every count at its bucket; values within the
// histogram's precision, 3 significant digits by default).
//
// Pure functions; they allocate. Bad input throws HlogError naming what is
// wrong (and the file and line, for ReadHlog).
#ifndef SLUICE_CORE_HLOG_READER_H_
#define SLUICE_CORE_HLOG_READER_H_

#include <cmath>
#include <istream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/core/latency_histogram.h"

namespace sluice {

class HlogError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One histogram from the base64 text of an .hlog line (EncodeCompressedV2).
// Each bucket's count is recorded at the bucket's middle value, so counts
// and percentiles are exact to the bucket and the mean is within its width.
LatencyHistogram DecodeCompressedV2(std::string_view base64);

struct HlogInterval {
  std::string tag;      // "" without a Tag=
  double start_s = 0;   // relative to the log's start time
  double length_s = 0;
  LatencyHistogram histogram;
};

struct Hlog {
  double start_time_s = NAN;  // #[StartTime: ...], seconds since the Unix epoch
  std::vector<HlogInterval> intervals;
};

// Reads an interval log; `name` is used in errors.
Hlog ReadHlog(std::istream& in, const std::string& name);

}  // namespace sluice

#endif  // SLUICE_CORE_HLOG_READER_H_
