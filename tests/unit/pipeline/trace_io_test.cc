#include "sluice/pipeline/trace_io.h"
#include "temp_dir.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace sluice {
namespace {

namespace fs = std::filesystem;

// The shared temporary folder (tests/temp_dir.h), named for this file.
class TempDir : public sluice::test_support::TempDir {
 public:
  TempDir() : sluice::test_support::TempDir("sluice-trace-io") {}
};

std::vector<std::string> ReadAll(TraceReader& reader) {
  std::vector<std::string> lines;
  std::string line;
  while (reader.Next(&line) == TraceReader::Status::kLine) lines.push_back(line);
  return lines;
}

TEST(TraceIo, PlainAndGzipRoundTrip) {
  TempDir dir;
  const std::vector<std::string> lines = {R"({"a":1})", "", R"({"b":"two"})", std::string(100000, 'x')};
  for (const char* name : {"t.jsonl", "t.jsonl.gz"}) {
    std::string path = dir.File(name);
    {
      TraceWriter writer(path);
      for (const auto& l : lines) writer.WriteLine(l);
      writer.Close();
    }
    TraceReader reader(path, 4096);  // a small buffer: lines span refills
    EXPECT_EQ(ReadAll(reader), lines) << name;
    EXPECT_EQ(reader.line_number(), lines.size());
    EXPECT_FALSE(reader.truncated());
    reader.Rewind();
    EXPECT_EQ(ReadAll(reader), lines) << name << " after rewind";
  }
  // The .gz file really is gzip (magic bytes 1f 8b).
  std::ifstream gz(dir.File("t.jsonl.gz"), std::ios::binary);
  unsigned char magic[2] = {0, 0};
  gz.read(reinterpret_cast<char*>(magic), 2);
  EXPECT_EQ(magic[0], 0x1f);
  EXPECT_EQ(magic[1], 0x8b);
}

TEST(TraceIo, CrLfAndAMissingFinalNewline) {
  TempDir dir;
  std::string path = dir.File("crlf.jsonl");
  std::ofstream(path) << "one\r\ntwo\nthree";
  TraceReader reader(path);
  EXPECT_EQ(ReadAll(reader), (std::vector<std::string>{"one", "two", "three"}));
}

TEST(TraceIo, ALineTooLongIsSkippedAndTheNextOneRead) {
  TempDir dir;
  std::string path = dir.File("long.jsonl");
  {
    std::ofstream out(path);
    out << std::string(TraceReader::kMaxLineBytes + 10, 'y') << "\nafter\n";
  }
  TraceReader reader(path);
  std::string line;
  EXPECT_EQ(reader.Next(&line), TraceReader::Status::kTooLong);
  EXPECT_EQ(line.size(), TraceReader::kMaxLineBytes);
  EXPECT_EQ(reader.line_number(), 1u);
  EXPECT_EQ(reader.Next(&line), TraceReader::Status::kLine);
  EXPECT_EQ(line, "after");
  EXPECT_EQ(reader.line_number(), 2u);
  EXPECT_EQ(reader.Next(&line), TraceReader::Status::kEnd);
}

TEST(TraceIo, ACutOffGzipFileYieldsWhatItHolds) {
  TempDir dir;
  std::string path = dir.File("cut.jsonl.gz");
  {
    TraceWriter writer(path);
    for (int i = 0; i < 2000; ++i) writer.WriteLine(R"({"i":)" + std::to_string(i) + "}");
    writer.Flush();  // everything so far is decodable
    for (int i = 2000; i < 4000; ++i) writer.WriteLine(R"({"i":)" + std::to_string(i) + "}");
    writer.Close();
  }
  // Chop the trailer and some data off: as if the recorder had been killed.
  fs::resize_file(path, fs::file_size(path) - 200);
  TraceReader reader(path);
  std::vector<std::string> lines;
  std::string line;
  TraceReader::Status status;
  while ((status = reader.Next(&line)) != TraceReader::Status::kEnd) lines.push_back(line);
  EXPECT_TRUE(reader.truncated());
  ASSERT_GE(lines.size(), 2000u);
  EXPECT_LT(lines.size(), 4001u);
  for (size_t i = 0; i + 1 < lines.size(); ++i) EXPECT_EQ(lines[i], R"({"i":)" + std::to_string(i) + "}");
}

TEST(TraceIo, MissingAndUnwritableFilesThrow) {
  EXPECT_THROW(TraceReader("/nonexistent/sluice/trace.jsonl"), TraceError);
  EXPECT_THROW(TraceWriter("/proc/sluice-cannot-write.jsonl"), TraceError);
  EXPECT_THROW(TraceWriter("/nonexistent/dir/trace.jsonl.gz"), TraceError);
}

}  // namespace
}  // namespace sluice
