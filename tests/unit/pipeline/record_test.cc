#include "sluice/pipeline/record.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "sluice/pipeline/replay.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

struct Recorded {
  RecordStats stats;
  std::vector<std::string> lines;
};

Recorded RecordText(const std::string& input, RecordFormat format,
                    const std::string& time_field = "time_us") {
  fs::path path = fs::temp_directory_path() / ("sluice-record-" + std::to_string(::getpid()) + ".jsonl.gz");
  Recorded r;
  {
    TraceWriter writer(path.string());
    std::istringstream in(input);
    int64_t clock = 1'789'616'553'000'000;
    std::function<int64_t()> now = [&clock] { return clock += 1000; };
    r.stats = Record(in, format, time_field, writer, now);
    writer.Close();
  }
  TraceReader reader(path.string());
  std::string line;
  while (reader.Next(&line) == TraceReader::Status::kLine) r.lines.push_back(line);
  fs::remove(path);
  return r;
}

// What Wikimedia's EventStreams sends, with the rough edges a pipe can have.
constexpr const char* kSse =
    ":ok\r\n"
    "\r\n"
    "event: message\r\n"
    "id: [{\"topic\":\"eqiad.mediawiki.recentchange\",\"partition\":0,\"offset\":1}]\r\n"
    "data: {\"meta\":{\"dt\":\"2026-09-17T03:42:33.778Z\"},\"type\":\"edit\",\"title\":\"A: b\"}\r\n"
    "\r\n"
    ":\r\n"                   // keep-alive
    "event: message\n"
    "data: {\"meta\":{\"dt\":\"2026-09-17T03:42:34.001Z\"},\n"  // one event over two data lines
    "data:  \"type\":\"log\"}\n"
    "\n"
    "retry: 3000\n"
    "data: not json at all\n"
    "\n"
    "data: {\"meta\":{\"dt\":\"2026-09-17T03:42:34.5";  // cut off

TEST(Record, SseEventsCommentsKeepAlivesMultiLineDataAndACutOffEnd) {
  Recorded r = RecordText(kSse, RecordFormat::kSse, "meta.dt");
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[0], R"({"meta":{"dt":"2026-09-17T03:42:33.778Z"},"type":"edit","title":"A: b"})");
  EXPECT_EQ(r.lines[1], R"({"meta":{"dt":"2026-09-17T03:42:34.001Z"},  "type":"log"})");
  EXPECT_EQ(r.stats.events, 4u);
  EXPECT_EQ(r.stats.written, 2u);
  EXPECT_EQ(r.stats.time_added, 0u);  // they carry meta.dt
  EXPECT_EQ(r.stats.skipped, 1u);
  EXPECT_EQ(r.stats.cut_off, 1u);
  EXPECT_EQ(r.stats.comments, 2u);
  ASSERT_EQ(r.stats.problems.size(), 2u);
  EXPECT_EQ(r.stats.problems[0].rfind("line 13: not a JSON object", 0), 0u) << r.stats.problems[0];
  EXPECT_EQ(r.stats.problems[1], "line 15: cut off at the end of the input");
}

TEST(Record, SseWithoutATimeGetsTheArrivalTime) {
  Recorded r = RecordText(kSse, RecordFormat::kSse);  // time_us: absent from these events
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[0], R"({"time_us":1789616553001000,"meta":{"dt":"2026-09-17T03:42:33.778Z"},"type":"edit","title":"A: b"})");
  EXPECT_EQ(r.lines[1].rfind(R"({"time_us":1789616553002000,"meta")", 0), 0u) << r.lines[1];
  EXPECT_EQ(r.stats.time_added, 2u);
}

TEST(Record, ALastSseEventWithoutItsBlankLineIsKeptWhenWhole) {
  Recorded r = RecordText("data: {\"time_us\":5}\n\ndata: {\"time_us\":6}", RecordFormat::kSse);
  EXPECT_EQ(r.lines, (std::vector<std::string>{R"({"time_us":5})", R"({"time_us":6})"}));
  EXPECT_EQ(r.stats.cut_off, 0u);
}

TEST(Record, JsonLinesAsAWebsocketClientPrintsThem) {
  const std::string input =
      "{\"did\":\"did:plc:a\",\"time_us\":1783175888085434,\"kind\":\"commit\"}\n"
      "\n"
      "{}\n"
      "[1,2]\n"
      "  {\"kind\":\"identity\"}  \r\n"
      "garbage\n"
      "{\"did\":\"did:plc:b\",\"time_us\":17831758880";  // cut off
  Recorded r = RecordText(input, RecordFormat::kJsonl);
  EXPECT_EQ(r.lines, (std::vector<std::string>{
                         R"({"did":"did:plc:a","time_us":1783175888085434,"kind":"commit"})",
                         R"({"time_us":1789616553001000})",
                         R"({"time_us":1789616553002000,"kind":"identity"})"}));
  EXPECT_EQ(r.stats.skipped, 2u);  // the array and the garbage
  EXPECT_EQ(r.stats.cut_off, 1u);
  ASSERT_GE(r.stats.problems.size(), 3u);
  EXPECT_EQ(r.stats.problems[0], "line 4: not a JSON object: not a JSON object at column 1");
  EXPECT_EQ(r.stats.problems[2], "line 7: cut off at the end of the input");
}

TEST(Record, ADottedTimeFieldThatIsMissingIsCounted) {
  Recorded r = RecordText("{\"a\":1}\n{\"meta\":{\"dt\":\"2026-09-17T03:42:33Z\"}}\n",
                          RecordFormat::kJsonl, "meta.dt");
  EXPECT_EQ(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[0], R"({"a":1})");
  EXPECT_EQ(r.stats.time_missing, 1u);
}

TEST(Record, WhatIsRecordedReplaysWithItsTimes) {
  fs::path path = fs::temp_directory_path() / ("sluice-record-replay-" + std::to_string(::getpid()) + ".jsonl");
  {
    TraceWriter writer(path.string());
    std::istringstream in(kSse);
    int64_t clock = 1'789'616'553'000'000;
    std::function<int64_t()> now = [&clock] { return clock += 250'000; };
    Record(in, RecordFormat::kSse, "time_us", writer, now);
  }
  ReplaySourceSpec spec;
  spec.file = spec.path = path.string();
  spec.time_field = "time_us";
  spec.type_field = "type";
  ReplayStream stream(spec, 4);
  Event a, b, c;
  ASSERT_TRUE(stream.Next(&a));
  ASSERT_TRUE(stream.Next(&b));
  EXPECT_FALSE(stream.Next(&c));
  EXPECT_EQ(a.intended_ns, 0);
  EXPECT_EQ(b.intended_ns, 250'000'000);  // the arrival times, 250 ms apart
  EXPECT_EQ(stream.type_names(), (std::vector<std::string>{"edit", "log"}));
  fs::remove(path);
}

}  // namespace
}  // namespace sluice
