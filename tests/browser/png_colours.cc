// Tells a blank screenshot from a drawn one, for the browser test of
// `sluice plot`: reads an 8-bit, non-interlaced PNG (what Chromium's
// --screenshot writes) and prints "<width> <height> <distinct colours>
// <share of pixels that are not the most common colour>". Exit 1 with a
// message when the file is no such PNG. Needs only zlib.
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace {

uint32_t Be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

int Fail(const std::string& why) {
  std::cerr << "png_colours: " << why << "\n";
  return 1;
}

int Paeth(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return Fail("usage: png_colours FILE.png");
  std::ifstream in(argv[1], std::ios::binary);
  const std::vector<unsigned char> file((std::istreambuf_iterator<char>(in)), {});
  static const unsigned char kSignature[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (file.size() < 8 || !std::equal(kSignature, kSignature + 8, file.begin())) {
    return Fail(std::string(argv[1]) + ": not a PNG");
  }
  uint32_t width = 0, height = 0;
  int channels = 0;
  std::vector<unsigned char> compressed;
  for (size_t at = 8; at + 12 <= file.size();) {
    const uint32_t length = Be32(&file[at]);
    const std::string type(file.begin() + static_cast<long>(at) + 4, file.begin() + static_cast<long>(at) + 8);
    const unsigned char* data = &file[at + 8];
    if (at + 12 + length > file.size()) return Fail("truncated chunk " + type);
    if (type == "IHDR") {
      width = Be32(data);
      height = Be32(data + 4);
      const int depth = data[8], colour = data[9], interlace = data[12];
      if (depth != 8 || interlace != 0) return Fail("only 8-bit, non-interlaced PNGs");
      channels = colour == 2 ? 3 : colour == 6 ? 4 : colour == 0 ? 1 : colour == 4 ? 2 : 0;
      if (channels == 0) return Fail("palette PNGs are not read");
    } else if (type == "IDAT") {
      compressed.insert(compressed.end(), data, data + length);
    }
    at += 12 + length;
  }
  if (width == 0 || height == 0) return Fail("no IHDR");
  const size_t stride = size_t{width} * static_cast<size_t>(channels);
  std::vector<unsigned char> raw((stride + 1) * height);
  uLongf raw_size = raw.size();
  if (uncompress(raw.data(), &raw_size, compressed.data(), compressed.size()) != Z_OK ||
      raw_size != raw.size()) {
    return Fail("cannot inflate the image data");
  }
  std::vector<unsigned char> previous(stride, 0), row(stride);
  std::map<uint32_t, uint64_t> colours;
  for (uint32_t y = 0; y < height; ++y) {
    const unsigned char* line = &raw[y * (stride + 1)];
    const int filter = line[0];
    for (size_t i = 0; i < stride; ++i) {
      const int x = line[1 + i];
      const int a = i >= static_cast<size_t>(channels) ? row[i - static_cast<size_t>(channels)] : 0;
      const int b = previous[i];
      const int c = i >= static_cast<size_t>(channels) ? previous[i - static_cast<size_t>(channels)] : 0;
      int v = x;
      switch (filter) {
        case 0: break;
        case 1: v = x + a; break;
        case 2: v = x + b; break;
        case 3: v = x + (a + b) / 2; break;
        case 4: v = x + Paeth(a, b, c); break;
        default: return Fail("bad filter type");
      }
      row[i] = static_cast<unsigned char>(v);
    }
    for (uint32_t px = 0; px < width; ++px) {
      uint32_t key = 0;
      const size_t first = px * static_cast<size_t>(channels);
      for (int ch = 0; ch < std::min(channels, 3); ++ch) {
        key = (key << 8) | row[first + static_cast<size_t>(ch)];
      }
      ++colours[key];
    }
    previous.swap(row);
  }
  uint64_t most = 0;
  for (const auto& [colour, count] : colours) most = std::max(most, count);
  const double other = 1.0 - static_cast<double>(most) / (double{1} * width * height);
  std::cout << width << " " << height << " " << colours.size() << " " << other << "\n";
  return 0;
}
