#include "sluice/core/hdr_log.h"

#include <zlib.h>

#include <bit>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace sluice {
namespace {

void AppendBigEndian32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void AppendBigEndian64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void PutBigEndian32(std::string& out, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[at + i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
}

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace

int AppendZigZagLeb128(std::string& out, int64_t value) {
  uint64_t v = (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  int written = 0;
  while (written < 8) {
    if (v < 0x80) {
      out.push_back(static_cast<char>(v));
      return written + 1;
    }
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
    ++written;
  }
  out.push_back(static_cast<char>(v & 0xff));  // the 9th byte: the last 8 bits whole
  return 9;
}

std::string EncodeV2(const LatencyHistogram& h) {
  const std::vector<int64_t>& counts = h.RawCounts();
  size_t limit = counts.size();
  while (limit > 0 && counts[limit - 1] == 0) --limit;

  std::string payload;
  for (size_t i = 0; i < limit;) {
    if (counts[i] != 0) {
      AppendZigZagLeb128(payload, counts[i]);
      ++i;
      continue;
    }
    size_t zeros = 1;
    while (i + zeros < limit && counts[i + zeros] == 0) ++zeros;
    // A run of zeros is one negative count; a lone zero stays a 0.
    AppendZigZagLeb128(payload, zeros > 1 ? -static_cast<int64_t>(zeros) : 0);
    i += zeros;
  }

  std::string out;
  out.reserve(40 + payload.size());
  AppendBigEndian32(out, kHdrV2EncodingCookie);
  AppendBigEndian32(out, static_cast<uint32_t>(payload.size()));
  AppendBigEndian32(out, 0);  // normalizing index offset
  AppendBigEndian32(out, static_cast<uint32_t>(h.SignificantDigits()));
  AppendBigEndian64(out, static_cast<uint64_t>(h.LowestDiscernible()));
  AppendBigEndian64(out, static_cast<uint64_t>(h.HighestTrackable()));
  AppendBigEndian64(out, std::bit_cast<uint64_t>(1.0));  // integer-to-double ratio
  out += payload;
  return out;
}

std::string EncodeCompressedV2(const LatencyHistogram& h) {
  const std::string raw = EncodeV2(h);
  uLongf bound = compressBound(static_cast<uLong>(raw.size()));
  std::string framed(8 + bound, '\0');
  uLongf compressed = bound;
  if (compress(reinterpret_cast<Bytef*>(framed.data() + 8), &compressed,
               reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size())) != Z_OK) {
    throw std::runtime_error("EncodeCompressedV2: zlib compress failed");
  }
  framed.resize(8 + compressed);
  PutBigEndian32(framed, 0, kHdrV2CompressionCookie);
  PutBigEndian32(framed, 4, static_cast<uint32_t>(compressed));
  return Base64(framed);
}

HlogWriter::HlogWriter(std::ostream& out, double start_time_epoch_s, std::string_view comment)
    : out_(out) {
  char iso[32] = "";
  const std::time_t whole = static_cast<std::time_t>(start_time_epoch_s);
  std::tm utc{};
  if (gmtime_r(&whole, &utc) != nullptr) std::strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &utc);
  char line[160];
  std::snprintf(line, sizeof line, "#[StartTime: %.3f (seconds since epoch), %s]\n", start_time_epoch_s, iso);
  out_ << "#[Histogram log format version 1.3]\n" << line;
  if (!comment.empty()) {
    std::string text(comment);
    for (char& c : text) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    out_ << "#" << text << "\n";
  }
  out_ << "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n";
}

void HlogWriter::WriteInterval(std::string_view tag, double start_s, double length_s,
                               const LatencyHistogram& histogram) {
  WriteEncodedInterval(tag, start_s, length_s, histogram.Max() / 1e6, EncodeCompressedV2(histogram));
}

void HlogWriter::WriteEncodedInterval(std::string_view tag, double start_s, double length_s, double max_ms,
                                      std::string_view encoded) {
  if (!tag.empty()) {
    std::string clean(tag);
    for (char& c : clean) {
      if (c == ',' || c == ' ' || c == '\n' || c == '\r') c = '_';
    }
    out_ << "Tag=" << clean << ",";
  }
  char fields[96];
  std::snprintf(fields, sizeof fields, "%.3f,%.3f,%.3f,", start_s, length_s, max_ms);
  out_ << fields << encoded << "\n";
}

}  // namespace sluice
