// Traces as a careless or hostile user feeds them (issue 13): times no
// int64 can hold, lines past the limit that record and replay share,
// endless inputs, a full disk, an output that is the input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sluice/core/exit_codes.h"
#include "sluice/core/stop.h"
#include "sluice/pipeline/json_fields.h"
#include "sluice/pipeline/record.h"
#include "sluice/pipeline/replay.h"
#include "sluice/pipeline/synth.h"
#include "sluice/pipeline/trace_io.h"
#include "temp_dir.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

class TempDir : public test_support::TempDir {
 public:
  TempDir() : test_support::TempDir("sluice-trace-robust") {}
};

std::vector<std::string> ReadLines(const std::string& path) {
  TraceReader reader(path);
  std::vector<std::string> lines;
  std::string line;
  while (reader.Next(&line) == TraceReader::Status::kLine) lines.push_back(line);
  return lines;
}

TEST(TraceRobustness, Iso8601OutsideInt64NanosecondsIsNotATime) {
  int64_t ns = 42;
  // UBSan reported signed overflow here (json_fields.cc): now they are refused.
  EXPECT_FALSE(ParseIso8601("0000-01-01T00:00:00Z", &ns));
  EXPECT_FALSE(ParseIso8601("9999-12-31T23:59:59.999999999Z", &ns));
  EXPECT_FALSE(ParseIso8601("1677-09-21T00:12:43Z", &ns));
  EXPECT_FALSE(ParseIso8601("2262-04-11T23:47:17Z", &ns));
  EXPECT_EQ(ns, 42);  // untouched
  // The edges that fit still parse.
  ASSERT_TRUE(ParseIso8601("1677-09-21T00:12:44Z", &ns));
  EXPECT_LT(ns, -9'223'372'000'000'000'000 + 1'000'000'000'000'000);
  ASSERT_TRUE(ParseIso8601("2262-04-11T23:47:16Z", &ns));
  EXPECT_GT(ns, 9'223'372'000'000'000'000);
}

TEST(TraceRobustness, ReplayOfTimesFarApartSaturatesInsteadOfOverflowing) {
  TempDir dir;
  std::string path = dir.File("far.jsonl");
  {
    TraceWriter w(path);
    w.WriteLine(R"({"t":"1677-09-22T00:00:00Z"})");
    w.WriteLine(R"({"t":"2262-04-10T00:00:00Z"})");
    w.WriteLine(R"({"t":-9223372036854775807})");
    w.WriteLine(R"({"t":9223372036854775807})");
    w.Close();
  }
  ReplaySourceSpec spec;
  spec.file = spec.path = path;
  spec.time_field = "t";
  spec.time_format = TimeFormat::kAuto;
  spec.speed = 1e-6;  // slowed down a million times: past int64 at once
  spec.loop = 3;
  ReplayStream stream(spec, 16);
  Event e;
  std::vector<int64_t> intended;
  while (stream.Next(&e)) {
    intended.push_back(e.intended_ns);
    stream.Discard(e);
  }
  ASSERT_FALSE(intended.empty());
  EXPECT_EQ(intended.front(), 0);
  for (size_t i = 1; i < intended.size(); ++i) EXPECT_GE(intended[i], intended[i - 1]) << i;
  EXPECT_EQ(intended.back(), INT64_MAX);
}

TEST(TraceRobustness, AnEndlessLineEndsWhenAStopIsRequested) {
  TempDir dir;
  // A sparse file of 64 GiB of zero bytes and no newline: no disk used,
  // endless for a reader (as /dev/zero is).
  std::string path = dir.File("zeros.jsonl");
  {
    std::ofstream(path).put('\0');
  }
  fs::resize_file(path, 64ull << 30);
  TraceReader reader(path);
  std::thread stopper([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    StopFlag().store(true);
  });
  std::string line;
  EXPECT_EQ(reader.Next(&line), TraceReader::Status::kEnd);
  EXPECT_TRUE(line.empty());
  stopper.join();
  StopFlag().store(false);
}

TEST(TraceRobustness, RecordSkipsWhatReplayWouldSkipWithOneLimit) {
  EXPECT_EQ(TraceReader::kMaxLineBytes, kMaxTraceLineBytes);
  TempDir dir;
  std::string path = dir.File("r.jsonl");
  std::string huge = "{\"time_us\":1,\"x\":\"" + std::string(kMaxTraceLineBytes, 'a') + "\"}";
  std::string fits = "{\"x\":\"" + std::string(kMaxTraceLineBytes - 64, 'b') + "\"}";
  std::string sse_huge;
  for (int i = 0; i < 5; ++i) {
    sse_huge += "data: " + std::string(kMaxTraceLineBytes / 4, 'c') + "\n";
  }
  RecordStats jsonl, sse;
  {
    TraceWriter writer(path);
    std::istringstream in(huge + "\n{\"time_us\":2}\n" + fits + "\n");
    std::function<int64_t()> now = [] { return int64_t{7}; };
    jsonl = Record(in, RecordFormat::kJsonl, "time_us", writer, now);
    std::istringstream sse_in(sse_huge + "\ndata: {\"time_us\":3}\n\n");
    sse = Record(sse_in, RecordFormat::kSse, "time_us", writer, now);
    writer.Close();
  }
  EXPECT_EQ(jsonl.too_long, 1u);
  EXPECT_EQ(jsonl.written, 2u);
  EXPECT_EQ(sse.too_long, 1u);
  EXPECT_EQ(sse.written, 1u);
  ASSERT_FALSE(jsonl.problems.empty());
  EXPECT_NE(jsonl.problems[0].find("line 1: longer than 4 MiB"), std::string::npos)
      << jsonl.problems[0];
  // Everything written replays: no line is too long for the reader.
  TraceReader reader(path);
  std::string line;
  int lines = 0;
  TraceReader::Status status;
  while ((status = reader.Next(&line)) != TraceReader::Status::kEnd) {
    EXPECT_EQ(status, TraceReader::Status::kLine);
    ++lines;
  }
  EXPECT_EQ(lines, 3);
}

TEST(TraceRobustness, RecordStopsWithAValidTraceWhenTheDiskIsFull) {
  TempDir dir;
  std::string path = dir.File("r.jsonl.gz");
  RecordStats stats;
  {
    TraceWriter writer(path);
    std::istringstream in("{\"time_us\":1}\n{\"time_us\":2}\n");
    std::function<int64_t()> now = [] { return int64_t{7}; };
    // No file system has this much free: as if it were full.
    stats = Record(in, RecordFormat::kJsonl, "time_us", writer, now, nullptr,
                   std::numeric_limits<uint64_t>::max());
    writer.Close();
  }
  EXPECT_TRUE(stats.disk_full);
  EXPECT_EQ(stats.written, 0u);
  EXPECT_TRUE(ReadLines(path).empty());
  std::istringstream in("{\"time_us\":1}\n");
  std::ostringstream err;
  std::atomic<bool> stop{false};
  EXPECT_EQ(RecordCommand("jsonl", "time_us", path, in, err, stop,
                          std::numeric_limits<uint64_t>::max()),
            kExitResultsUnwritable);
  EXPECT_NE(err.str().find("MiB free on its file system"), std::string::npos) << err.str();
}

std::string SynthScenario(const TempDir& dir) {
  std::string path = dir.File("s.yaml");
  std::ofstream(path) << "name: s\nduration: 10s\nsource:\n  synthetic:\n    rate: 10k/s\n"
                         "    payload: bluesky\n";
  return path;
}

TEST(TraceRobustness, SynthStopsAtAFullDiskWithAValidTruncatedTrace) {
  TempDir dir;
  std::string out = dir.File("t.jsonl.gz");
  std::ostringstream o, e;
  std::atomic<bool> stop{false};
  int rc = SynthCommand(SynthScenario(dir), {}, out, 1'000'000, "2026-01-01T00:00:00Z", o, e,
                        stop, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(rc, kExitResultsUnwritable) << e.str();
  EXPECT_NE(e.str().find("the trace is valid and shorter"), std::string::npos) << e.str();
  // A finished gzip stream of whole JSON lines, shorter than asked for.
  TraceReader reader(out);
  std::string line;
  size_t lines = 0;
  while (reader.Next(&line) == TraceReader::Status::kLine) {
    ASSERT_EQ(line.front(), '{');
    ASSERT_EQ(line.back(), '}');
    ++lines;
  }
  EXPECT_FALSE(reader.truncated());
  EXPECT_GT(lines, 0u);
  EXPECT_LT(lines, 1'000'000u);
}

TEST(TraceRobustness, SynthStopsWhenInterruptedWithAValidTrace) {
  TempDir dir;
  std::string out = dir.File("t.jsonl");
  std::ostringstream o, e;
  std::atomic<bool> stop{true};
  EXPECT_EQ(SynthCommand(SynthScenario(dir), {}, out, kMaxSynthEvents, "2026-01-01T00:00:00Z",
                         o, e, stop),
            kExitRunFailed);
  EXPECT_NE(e.str().find("interrupted after 0 of 1000000000 events"), std::string::npos)
      << e.str();
  EXPECT_TRUE(ReadLines(out).empty());
}

TEST(TraceRobustness, SynthRefusesToOverwriteItsScenario) {
  TempDir dir;
  std::string scenario = SynthScenario(dir);
  std::string before;
  {
    std::ifstream in(scenario);
    before.assign(std::istreambuf_iterator<char>(in), {});
  }
  fs::create_symlink(scenario, dir.File("link.jsonl"));
  fs::create_hard_link(scenario, dir.File("hard.jsonl"));
  std::atomic<bool> stop{false};
  for (const std::string& output :
       {scenario, dir.File("link.jsonl"), dir.File("hard.jsonl"),
        dir.File(".") + "/../" + dir.path().filename().string() + "/s.yaml"}) {
    std::ostringstream o, e;
    EXPECT_EQ(SynthCommand(scenario, {}, output, 10, "2026-01-01T00:00:00Z", o, e, stop),
              kExitUsage)
        << output;
    EXPECT_NE(e.str().find("is the scenario file itself"), std::string::npos) << e.str();
  }
  std::string after;
  {
    std::ifstream in(scenario);
    after.assign(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_EQ(before, after);
  std::ostringstream o, e;
  EXPECT_EQ(SynthCommand(scenario, {}, dir.File("x.jsonl"), kMaxSynthEvents + 1,
                         "2026-01-01T00:00:00Z", o, e, stop),
            kExitUsage);
}

TEST(TraceRobustness, PlainTracesAreWrittenInWholeLines) {
  TempDir dir;
  std::string path = dir.File("w.jsonl");
  TraceWriter writer(path);
  std::string line(1000, 'x');
  // Past the 1 MiB buffer a few times; then, without closing, what is on
  // disk must end with a newline (a kill now leaves whole lines).
  for (int i = 0; i < 3000; ++i) writer.WriteLine(line);
  std::ifstream in(path, std::ios::binary);
  std::string on_disk((std::istreambuf_iterator<char>(in)), {});
  ASSERT_FALSE(on_disk.empty());
  EXPECT_EQ(on_disk.back(), '\n');
  EXPECT_EQ(on_disk.size() % 1001, 0u);
  writer.Close();
}

}  // namespace
}  // namespace sluice
