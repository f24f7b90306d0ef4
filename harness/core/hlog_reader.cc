#include "sluice/core/hlog_reader.h"

#include <zlib.h>

#include <bit>
#include <cstdlib>
#include <sstream>

#include "sluice/core/hdr_log.h"

namespace sluice {
namespace {

std::string FromBase64(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t bits = 0;
  int have = 0;
  for (char c : text) {
    if (c == '=') break;
    const int v = value(c);
    if (v < 0) throw HlogError("not base64");
    bits = (bits << 6) | static_cast<uint32_t>(v);
    have += 6;
    if (have >= 8) {
      have -= 8;
      out.push_back(static_cast<char>((bits >> have) & 0xff));
    }
  }
  return out;
}

uint64_t BigEndian(std::string_view bytes, size_t at, int width) {
  uint64_t v = 0;
  for (int i = 0; i < width; ++i) v = (v << 8) | static_cast<uint8_t>(bytes[at + i]);
  return v;
}

// The word-size bits (4..7) of a cookie do not name the format.
bool SameCookie(uint64_t a, uint32_t b) { return (a & ~0xf0ULL) == (b & ~0xf0u); }

}  // namespace

LatencyHistogram DecodeCompressedV2(std::string_view base64) {
  const std::string framed = FromBase64(base64);
  if (framed.size() < 8 || !SameCookie(BigEndian(framed, 0, 4), kHdrV2CompressionCookie)) {
    throw HlogError("not an HdrHistogram V2 compressed histogram");
  }
  const uint64_t compressed = BigEndian(framed, 4, 4);
  if (compressed > framed.size() - 8) throw HlogError("compressed histogram cut short");
  std::string raw(1 << 16, '\0');
  while (true) {
    uLongf size = static_cast<uLongf>(raw.size());
    const int rc = uncompress(reinterpret_cast<Bytef*>(raw.data()), &size,
                              reinterpret_cast<const Bytef*>(framed.data() + 8), static_cast<uLong>(compressed));
    if (rc == Z_OK) {
      raw.resize(size);
      break;
    }
    if (rc != Z_BUF_ERROR || raw.size() >= (64u << 20)) throw HlogError("histogram does not inflate");
    raw.resize(raw.size() * 4);
  }
  if (raw.size() < 40 || !SameCookie(BigEndian(raw, 0, 4), kHdrV2EncodingCookie)) {
    throw HlogError("not an HdrHistogram V2 encoding");
  }
  const uint64_t payload = BigEndian(raw, 4, 4);
  const auto digits = static_cast<int>(BigEndian(raw, 12, 4));
  const auto lowest = static_cast<int64_t>(BigEndian(raw, 16, 8));
  const auto highest = static_cast<int64_t>(BigEndian(raw, 24, 8));
  if (payload > raw.size() - 40) throw HlogError("histogram payload cut short");
  LatencyHistogram h(lowest, highest, digits);
  const int unit_magnitude = std::bit_width(static_cast<uint64_t>(lowest)) - 1;
  const int half_count = h.SubBucketCount() / 2;
  const int half_magnitude = std::bit_width(static_cast<unsigned>(half_count)) - 1;
  auto value_at = [&](int64_t index) {
    int64_t bucket = (index >> half_magnitude) - 1;
    int64_t sub = (index & (half_count - 1)) + half_count;
    if (bucket < 0) {
      sub -= half_count;
      bucket = 0;
    }
    return sub << (bucket + unit_magnitude);
  };
  size_t at = 40;
  const size_t end = 40 + payload;
  int64_t index = 0;
  while (at < end) {
    uint64_t v = 0;
    int shift = 0;
    for (int byte = 0; byte < 9; ++byte) {
      if (at >= end) throw HlogError("histogram count cut short");
      const auto b = static_cast<uint8_t>(raw[at++]);
      if (byte == 8) {
        v |= static_cast<uint64_t>(b) << shift;
        break;
      }
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) == 0) break;
    }
    const auto count = static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
    const auto slots = static_cast<int64_t>(h.RawCounts().size());
    if (count < 0) {
      // A run of zeros; it may not jump past the histogram's last bucket.
      if (count < -slots || index - count > slots) throw HlogError("histogram counts beyond its buckets");
      index -= count;
      continue;
    }
    if (index >= slots) throw HlogError("histogram counts beyond its buckets");
    if (count > 0) {
      const int64_t low = value_at(index);
      const int64_t high = h.HighestEquivalentValue(low);
      h.RecordN(low + (high - low) / 2, count);
    }
    ++index;
  }
  return h;
}

Hlog ReadHlog(std::istream& in, const std::string& name) {
  Hlog log;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    if (line[0] == '#') {
      const std::string key = "#[StartTime: ";
      if (line.rfind(key, 0) == 0) log.start_time_s = std::strtod(line.c_str() + key.size(), nullptr);
      continue;
    }
    if (line[0] == '"') continue;  // the legend
    try {
      HlogInterval interval;
      std::string_view rest = line;
      if (rest.rfind("Tag=", 0) == 0) {
        const size_t comma = rest.find(',');
        if (comma == std::string_view::npos) throw HlogError("no fields after the tag");
        interval.tag = std::string(rest.substr(4, comma - 4));
        rest.remove_prefix(comma + 1);
      }
      std::string_view fields[4];
      for (int f = 0; f < 3; ++f) {
        const size_t comma = rest.find(',');
        if (comma == std::string_view::npos) throw HlogError("expected 4 fields");
        fields[f] = rest.substr(0, comma);
        rest.remove_prefix(comma + 1);
      }
      fields[3] = rest;
      interval.start_s = std::strtod(std::string(fields[0]).c_str(), nullptr);
      interval.length_s = std::strtod(std::string(fields[1]).c_str(), nullptr);
      interval.histogram = DecodeCompressedV2(fields[3]);
      log.intervals.push_back(std::move(interval));
    } catch (const std::exception& e) {
      throw HlogError(name + ":" + std::to_string(number) + ": " + e.what());
    }
  }
  return log;
}

}  // namespace sluice
