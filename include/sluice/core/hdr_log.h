// Lossless latency histograms on disk, in HdrHistogram's own formats, so
// that HdrHistogram's Java, C and Python libraries (and their plotters and
// log processors) read what sluice recorded, and shards' histograms can be
// added exactly.
//
//   EncodeCompressedV2()  one histogram: HdrHistogram's "V2 compressed"
//                         wire encoding (zlib over a big-endian header and
//                         ZigZag LEB128 counts, zero runs folded), base64.
//   HlogWriter            an interval log (.hlog, format version 1.3): a
//                         header, then one line per interval:
//                         [Tag=KIND,]START_S,LENGTH_S,MAX_MS,BASE64
//
// LatencyHistogram's layout is HdrHistogram's (unit magnitude, sub-bucket
// count, half-overlapping buckets), so a histogram's counts go over as they
// are: values in nanoseconds, lowest discernible 1, highest trackable and
// significant digits as constructed.
//
// Thread-safety: none needed: pure functions; a writer per stream. Encoding
// allocates (it runs when a report is written, never per event). Stream
// errors are left in the stream's state.
#ifndef SLUICE_CORE_HDR_LOG_H_
#define SLUICE_CORE_HDR_LOG_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "sluice/core/latency_histogram.h"

namespace sluice {

// The cookies of HdrHistogram's V2 encoding (word size 9 in bits 4..7's
// lowest bit: ZigZag LEB128 of up to 9 bytes).
inline constexpr uint32_t kHdrV2EncodingCookie = 0x1c849303u | 0x10u;
inline constexpr uint32_t kHdrV2CompressionCookie = 0x1c849304u | 0x10u;

// The uncompressed V2 encoding: a 40-byte big-endian header (cookie, payload
// length, normalizing index offset 0, significant digits, lowest and highest
// trackable value, conversion ratio 1.0) and the counts up to the last
// non-zero one.
std::string EncodeV2(const LatencyHistogram& histogram);

// Base64 of the compressed V2 encoding (an 8-byte header: cookie and length,
// then zlib's deflate of EncodeV2()), as an .hlog line carries it.
std::string EncodeCompressedV2(const LatencyHistogram& histogram);

// ZigZag LEB128 as HdrHistogram writes it (the 9th byte, when reached, holds
// 8 bits). Appends to `out`; returns the bytes written (1 to 9).
int AppendZigZagLeb128(std::string& out, int64_t value);

class HlogWriter {
 public:
  // Writes the header: format version, the start time (seconds since the
  // epoch, with its UTC ISO-8601 form), a comment line, and the legend.
  HlogWriter(std::ostream& out, double start_time_epoch_s, std::string_view comment);

  // One interval line. `tag` (may be empty) names what the histogram holds,
  // e.g. "end_to_end"; it must not contain ',', ' ' or a line break (they
  // are replaced by '_'). start_s is relative to the start time.
  void WriteInterval(std::string_view tag, double start_s, double length_s,
                     const LatencyHistogram& histogram);
  // The same line for a histogram encoded already (EncodeCompressedV2) with
  // its exact maximum in milliseconds.
  void WriteEncodedInterval(std::string_view tag, double start_s, double length_s, double max_ms,
                            std::string_view encoded);

 private:
  std::ostream& out_;
};

}  // namespace sluice

#endif  // SLUICE_CORE_HDR_LOG_H_
