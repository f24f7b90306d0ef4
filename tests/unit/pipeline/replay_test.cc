#include "sluice/pipeline/replay.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "sluice/core/bounded_queue.h"
#include "sluice/core/clock.h"
#include "sluice/core/random.h"
#include "sluice/pipeline/runner.h"
#include "sluice/scenario/scenario.h"
#include "sluice/pipeline/source.h"
#include "temp_dir.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

// The shared temporary folder (tests/temp_dir.h), named for this file.
class TempDir : public sluice::test_support::TempDir {
 public:
  TempDir() : sluice::test_support::TempDir("sluice-replay") {}
};

std::string WriteTrace(const TempDir& dir, const std::string& name,
                       const std::vector<std::string>& lines) {
  std::string path = dir.File(name);
  TraceWriter writer(path);
  for (const auto& l : lines) writer.WriteLine(l);
  writer.Close();
  return path;
}

ReplaySourceSpec Spec(const std::string& path, const std::string& time = "time_us") {
  ReplaySourceSpec spec;
  spec.file = spec.path = path;
  spec.time_field = time;
  // The tests' small numbers are microseconds; `auto` would read them as seconds.
  spec.time_format = time == "time_us" ? TimeFormat::kMicros : TimeFormat::kAuto;
  return spec;
}

struct Replayed {
  Event event;
  std::string line;
  std::string key;
};

// Up to `max` events, with their bytes; every slot is given back.
std::vector<Replayed> Drain(ReplayStream& stream, size_t max = SIZE_MAX) {
  std::vector<Replayed> out;
  Event e;
  while (out.size() < max && stream.Next(&e)) {
    Replayed r{e, std::string(stream.arena().Line(e.slot)), ""};
    if (e.key != Event::kNoKey) r.key = std::string(stream.arena().Key(e.slot));
    stream.Discard(e);
    out.push_back(std::move(r));
  }
  return out;
}

int64_t Scaled(int64_t relative_ns, double speed) {
  return static_cast<int64_t>(std::llround(static_cast<double>(relative_ns) / speed));
}

std::string Line(int64_t time_us, int i) {
  return R"({"time_us":)" + std::to_string(time_us) + R"(,"i":)" + std::to_string(i) +
         R"(,"note":"event \"number\" )" + std::to_string(i) + R"("})";
}

TEST(Replay, IntendedTimesAreTheTimestampsScaledBySpeed) {
  TempDir dir;
  Rng rng(11);
  std::vector<std::string> lines;
  std::vector<int64_t> times_us;
  int64_t t = 1783175888085434;
  for (int i = 0; i < 500; ++i) {
    // Bursts and gaps: 0 to 50 ms apart, often equal.
    t += static_cast<int64_t>(rng.Below(4) == 0 ? 0 : rng.Below(50'000));
    times_us.push_back(t);
    lines.push_back(Line(t, i));
  }
  std::string path = WriteTrace(dir, "t.jsonl.gz", lines);
  for (double speed : {1.0, 1000.0, 3.0, 0.25}) {
    SCOPED_TRACE(speed);
    ReplaySourceSpec spec = Spec(path);
    spec.speed = speed;
    ReplayStream stream(spec, 16);
    std::vector<Replayed> got = Drain(stream);
    ASSERT_EQ(got.size(), lines.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].event.intended_ns, Scaled((times_us[i] - times_us[0]) * 1000, speed)) << i;
      EXPECT_EQ(got[i].line, lines[i]);  // the bytes, unchanged
      EXPECT_EQ(got[i].event.size, lines[i].size());
      EXPECT_EQ(got[i].event.seq, i);
      EXPECT_EQ(got[i].event.key, Event::kNoKey);
    }
    EXPECT_EQ(stream.counters().lines.Get(), 500u);
    EXPECT_EQ(stream.counters().passes.Get(), 1u);
    EXPECT_EQ(stream.counters().bad_lines.Get(), 0u);
    EXPECT_TRUE(stream.error().empty());
  }
  // Speed 1000 is exact to the nanosecond for microsecond stamps.
  ReplaySourceSpec spec = Spec(path);
  spec.speed = 1000;
  ReplayStream stream(spec, 16);
  std::vector<Replayed> got = Drain(stream);
  EXPECT_EQ(got.back().event.intended_ns, (times_us.back() - times_us.front()));
}

TEST(Replay, EveryTimeFormat) {
  TempDir dir;
  struct Case {
    std::vector<std::string> lines;
    std::string field;
    TimeFormat format;
    std::vector<int64_t> expected_ns;
  };
  const std::vector<Case> cases = {
      {{R"({"t":1789616553})", R"({"t":1789616554.5})"}, "t", TimeFormat::kAuto, {0, 1'500'000'000}},
      {{R"({"t":1789616553000})", R"({"t":1789616553250})"}, "t", TimeFormat::kAuto, {0, 250'000'000}},
      {{R"({"t":1789616553000001})", R"({"t":1789616553000003})"}, "t", TimeFormat::kAuto, {0, 2000}},
      {{R"({"t":1789616553000000001})", R"({"t":1789616553000000009})"}, "t", TimeFormat::kAuto, {0, 8}},
      {{R"({"t":"1789616553"})", R"({"t":"1789616556"})"}, "t", TimeFormat::kAuto, {0, 3'000'000'000}},
      {{R"({"t":5})", R"({"t":7})"}, "t", TimeFormat::kMillis, {0, 2'000'000}},
      {{R"({"meta":{"dt":"2026-09-17T03:42:33.778Z"}})", R"({"meta":{"dt":"2026-09-17T03:42:34.001Z"}})"},
       "meta.dt", TimeFormat::kAuto, {0, 223'000'000}},
      {{R"({"meta":{"dt":"2026-09-17T03:42:33Z"}})", R"({"meta":{"dt":"2026-09-17T05:42:34+02:00"}})"},
       "meta.dt", TimeFormat::kIso8601, {0, 1'000'000'000}},
  };
  for (size_t c = 0; c < cases.size(); ++c) {
    SCOPED_TRACE(c);
    std::string path = WriteTrace(dir, "f" + std::to_string(c) + ".jsonl", cases[c].lines);
    ReplaySourceSpec spec = Spec(path, cases[c].field);
    spec.time_format = cases[c].format;
    ReplayStream stream(spec, 4);
    std::vector<Replayed> got = Drain(stream);
    ASSERT_EQ(got.size(), 2u) << (stream.bad_lines().empty() ? "" : stream.bad_lines()[0].reason);
    EXPECT_EQ(got[0].event.intended_ns, cases[c].expected_ns[0]);
    EXPECT_EQ(got[1].event.intended_ns, cases[c].expected_ns[1]);
  }
  // An ISO string where seconds were promised is a bad line.
  std::string path = WriteTrace(dir, "mixed.jsonl", {R"({"t":"2026-09-17T03:42:33Z"})"});
  ReplaySourceSpec spec = Spec(path, "t");
  spec.time_format = TimeFormat::kSeconds;
  ReplayStream stream(spec, 4);
  EXPECT_TRUE(Drain(stream).empty());
  EXPECT_EQ(stream.counters().bad_lines.Get(), 1u);
}

TEST(Replay, LoopingContinuesTimeWithoutAJump) {
  TempDir dir;
  const std::vector<int64_t> ms = {0, 100, 150, 400};
  std::vector<std::string> lines;
  for (size_t i = 0; i < ms.size(); ++i) lines.push_back(Line(5'000'000 + ms[i] * 1000, static_cast<int>(i)));
  std::string path = WriteTrace(dir, "loop.jsonl", lines);
  ReplaySourceSpec spec = Spec(path);
  spec.loop = 3;
  spec.speed = 2;
  ReplayStream stream(spec, 4);
  std::vector<Replayed> got = Drain(stream);
  ASSERT_EQ(got.size(), 12u);
  // One pass lasts the span plus one mean gap: 400 ms + 400/3 ms.
  const int64_t span = 400'000'000;
  const int64_t period = span + static_cast<int64_t>(std::llround(span / 3.0));
  for (size_t k = 0; k < 3; ++k) {
    for (size_t i = 0; i < 4; ++i) {
      const Replayed& r = got[k * 4 + i];
      EXPECT_EQ(r.event.intended_ns, Scaled(ms[i] * 1'000'000 + static_cast<int64_t>(k) * period, 2))
          << "pass " << k << " event " << i;
      EXPECT_EQ(r.line, lines[i]);
      EXPECT_EQ(r.event.seq, k * 4 + i);
    }
  }
  // The seam between passes is one mean gap (scaled), like any other gap.
  const int64_t seam = got[4].event.intended_ns - got[3].event.intended_ns;
  EXPECT_EQ(seam, Scaled(period - span, 2));
  EXPECT_GT(seam, 0);
  EXPECT_LE(seam, Scaled(250'000'000, 2));  // no longer than the trace's largest gap
  EXPECT_EQ(stream.counters().passes.Get(), 3u);
  EXPECT_EQ(stream.counters().lines.Get(), 12u);
}

TEST(Replay, LoopForeverNeverEndsAndNeverGoesBack) {
  TempDir dir;
  std::string path = WriteTrace(dir, "f.jsonl.gz", {Line(10, 0), Line(30, 1), Line(30, 2)});
  ReplaySourceSpec spec = Spec(path);
  spec.loop = 0;
  ReplayStream stream(spec, 4);
  std::vector<Replayed> got = Drain(stream, 3000);
  ASSERT_EQ(got.size(), 3000u);
  for (size_t i = 1; i < got.size(); ++i) {
    EXPECT_GE(got[i].event.intended_ns, got[i - 1].event.intended_ns) << i;
  }
  EXPECT_EQ(got[2999].event.intended_ns, 999 * 30'000 + 20'000);  // period 20 + 10 us
  EXPECT_EQ(stream.counters().passes.Get(), 999u);
}

TEST(Replay, OutOfOrderWithinTheWindowIsSortedBeyondItClamped) {
  TempDir dir;
  const std::vector<int64_t> ms = {0, 30, 10, 20, 40};
  std::vector<std::string> lines;
  for (size_t i = 0; i < ms.size(); ++i) lines.push_back(Line(ms[i] * 1000, static_cast<int>(i)));
  std::string path = WriteTrace(dir, "ooo.jsonl", lines);
  {
    ReplayStream stream(Spec(path), 4);  // default window: 1000 lines
    std::vector<Replayed> got = Drain(stream);
    ASSERT_EQ(got.size(), 5u);
    const std::vector<size_t> order = {0, 2, 3, 1, 4};
    for (size_t i = 0; i < 5; ++i) {
      EXPECT_EQ(got[i].line, lines[order[i]]);
      EXPECT_EQ(got[i].event.intended_ns, ms[order[i]] * 1'000'000);  // its own timestamp
    }
    EXPECT_EQ(stream.counters().out_of_order.Get(), 2u);
    EXPECT_EQ(stream.counters().clamped.Get(), 0u);
  }
  {
    ReplaySourceSpec spec = Spec(path);
    spec.reorder_window = 0;  // file order: late lines go at the previous time
    ReplayStream stream(spec, 4);
    std::vector<Replayed> got = Drain(stream);
    ASSERT_EQ(got.size(), 5u);
    const std::vector<int64_t> expected = {0, 30, 30, 30, 40};
    for (size_t i = 0; i < 5; ++i) {
      EXPECT_EQ(got[i].line, lines[i]);
      EXPECT_EQ(got[i].event.intended_ns, expected[i] * 1'000'000);
    }
    EXPECT_EQ(stream.counters().out_of_order.Get(), 2u);
    EXPECT_EQ(stream.counters().clamped.Get(), 2u);
  }
}

TEST(Replay, KeysAndTypesComeFromFields) {
  TempDir dir;
  std::string path = WriteTrace(dir, "kt.jsonl", {
      R"({"did":"did:plc:a","time_us":1,"commit":{"operation":"create"}})",
      R"({"did":"did:plc:\u00e9\"x","time_us":2,"commit":{"operation":"delete"}})",
      R"({"did":"did:plc:a","time_us":3,"kind":"identity"})",
      R"({"time_us":4,"commit":{"operation":"create"}})",
      R"({"did":42,"time_us":5,"commit":{"operation":7}})",
  });
  ReplaySourceSpec spec = Spec(path);
  spec.key_field = "did";
  spec.type_field = "commit.operation";
  ReplayStream stream(spec, 4);
  std::vector<Replayed> got = Drain(stream);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].key, "did:plc:a");
  EXPECT_EQ(got[1].key, "did:plc:\xC3\xA9\"x");  // decoded
  EXPECT_EQ(got[3].event.key, Event::kNoKey);     // no did: a null key
  EXPECT_EQ(got[4].key, "42");
  EXPECT_EQ(stream.type_names(), (std::vector<std::string>{"create", "delete", "(missing)", "7"}));
  const std::vector<uint16_t> types = {0, 1, 2, 0, 3};
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(got[i].event.type, types[i]) << i;
}

TEST(Replay, MoreThan255TypesShareTheOtherBucket) {
  TempDir dir;
  std::vector<std::string> lines;
  for (int i = 0; i < 300; ++i) {
    lines.push_back(R"({"time_us":)" + std::to_string(i) + R"(,"type":"t)" + std::to_string(i) + R"("})");
  }
  lines.push_back(R"({"time_us":400,"type":"t3"})");  // a known one still has its own index
  ReplaySourceSpec spec = Spec(WriteTrace(dir, "types.jsonl", lines));
  spec.type_field = "type";
  ReplayStream stream(spec, 4);
  std::vector<Replayed> got = Drain(stream);
  ASSERT_EQ(got.size(), 301u);
  ASSERT_EQ(stream.type_names().size(), 256u);
  EXPECT_EQ(stream.type_names()[254], "t254");
  EXPECT_EQ(stream.type_names()[255], "(other)");
  EXPECT_EQ(got[254].event.type, 254);
  EXPECT_EQ(got[255].event.type, ReplayStream::kOtherType);
  EXPECT_EQ(got[299].event.type, ReplayStream::kOtherType);
  EXPECT_EQ(got[300].event.type, 3);
  EXPECT_EQ(stream.counters().other_type.Get(), 45u);
}

std::vector<std::string> WithBadLines() {
  return {
      Line(1000, 1),                      // 1
      "this is not json",                 // 2
      Line(2000, 3),                      // 3
      R"({"no_time":1})",                 // 4
      R"({"time_us":"yesterday"})",       // 5
      "",                                 // 6: blank, not counted
      Line(3000, 7),                      // 7
      R"({"time_us":3000,"i":8,"note":)",  // 8: cut off
  };
}

TEST(Replay, BadLinesAreSkippedAndReportedWithTheirLineNumbers) {
  TempDir dir;
  std::string path = WriteTrace(dir, "bad.jsonl", WithBadLines());
  ReplaySourceSpec spec = Spec(path);
  spec.loop = 2;
  ReplayStream stream(spec, 4);
  std::vector<Replayed> got = Drain(stream);
  EXPECT_EQ(got.size(), 6u);  // 3 good lines, twice
  EXPECT_TRUE(stream.error().empty()) << stream.error();
  EXPECT_EQ(stream.counters().bad_lines.Get(), 8u);
  EXPECT_EQ(stream.counters().lines.Get(), 14u);
  const auto& bad = stream.bad_lines();
  ASSERT_EQ(bad.size(), 8u);
  const std::vector<uint64_t> numbers = {2, 4, 5, 8};
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(bad[i].line, numbers[i % 4]);
    EXPECT_EQ(bad[i].pass, i / 4);
  }
  EXPECT_EQ(bad[0].reason, "not a JSON object at column 1: not a JSON object");
  EXPECT_EQ(bad[1].reason, "no time field time_us");
  EXPECT_EQ(bad[2].reason, "not a usable time: time_us = yesterday");
  EXPECT_NE(bad[3].reason.find("unexpected end of line"), std::string::npos) << bad[3].reason;
}

TEST(Replay, OnBadLineFailStopsAtTheFirstOne) {
  TempDir dir;
  std::string path = WriteTrace(dir, "bad.jsonl", WithBadLines());
  ReplaySourceSpec spec = Spec(path);
  spec.on_bad_line = BadLinePolicy::kFail;
  spec.reorder_window = 0;
  ReplayStream stream(spec, 4);
  std::vector<Replayed> got = Drain(stream);
  EXPECT_EQ(got.size(), 1u);
  EXPECT_EQ(stream.error(), path + ":2: not a JSON object at column 1: not a JSON object (on_bad_line: fail)");
  EXPECT_EQ(stream.counters().bad_lines.Get(), 1u);
}

TEST(Replay, ATraceWithoutAUsableLineIsAnError) {
  TempDir dir;
  std::string path = WriteTrace(dir, "none.jsonl", {"nope", R"({"x":1})"});
  ReplaySourceSpec spec = Spec(path);
  spec.loop = 0;  // must not spin forever
  ReplayStream stream(spec, 4);
  EXPECT_TRUE(Drain(stream).empty());
  EXPECT_NE(stream.error().find("no usable line (2 bad lines)"), std::string::npos) << stream.error();
  EXPECT_THROW(ReplayStream(Spec(dir.File("absent.jsonl")), 4), TraceError);
}

// ---- the scenario keys ----------------------------------------------------

std::string ReplayYaml(const std::string& replay_body) {
  return "name: r\nduration: 1s\nsource:\n  replay:\n" + replay_body;
}

std::string ScenarioErrorOf(const std::string& path, const std::vector<std::string>& sets = {}) {
  try {
    LoadPlan(path, sets);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ReplayScenario, ParsesEveryKeyAndResolvesTheFileBesideTheScenario) {
  TempDir dir;
  WriteTrace(dir, "trace.jsonl.gz", {Line(1, 0)});
  std::string path = dir.File("s.yaml");
  std::ofstream(path) << ReplayYaml(
      "    file: trace.jsonl.gz\n    time: meta.dt\n    time_format: iso8601\n"
      "    key: did\n    type: commit.operation\n    speed: 1000\n    loop: 3\n"
      "    on_bad_line: fail\n    reorder_window: 50\n");
  ScenarioPlan plan = LoadPlan(path, {});
  const Scenario& s = plan.cells.at(0);
  EXPECT_EQ(s.source_kind, SourceKind::kReplay);
  EXPECT_EQ(s.replay.file, "trace.jsonl.gz");
  EXPECT_EQ(s.replay.path, dir.File("trace.jsonl.gz"));
  EXPECT_EQ(s.replay.time_field, "meta.dt");
  EXPECT_EQ(s.replay.time_format, TimeFormat::kIso8601);
  EXPECT_EQ(s.replay.key_field, "did");
  EXPECT_EQ(s.replay.type_field, "commit.operation");
  EXPECT_EQ(s.replay.speed, 1000);
  EXPECT_EQ(s.replay.loop, 3);
  EXPECT_EQ(s.replay.on_bad_line, BadLinePolicy::kFail);
  EXPECT_EQ(s.replay.reorder_window, 50);
  EXPECT_EQ(s.type_slots(), 256u);

  plan = LoadPlan(path, {"source.replay.speed=max", "source.replay.loop=forever"});
  EXPECT_EQ(plan.cells.at(0).replay.speed, 0);
  EXPECT_EQ(plan.cells.at(0).replay.loop, 0);
}

TEST(ReplayScenario, MistakesAreNamedWithTheirLine) {
  TempDir dir;
  WriteTrace(dir, "t.jsonl", {Line(1, 0)});
  std::string path = dir.File("s.yaml");
  std::ofstream(path) << ReplayYaml("    file: missing.jsonl\n    time: time_us\n");
  EXPECT_NE(ScenarioErrorOf(path).find("s.yaml:5:11: source.replay.file: cannot open trace file"),
            std::string::npos)
      << ScenarioErrorOf(path);
  std::ofstream(path) << ReplayYaml("    file: t.jsonl\n");
  EXPECT_NE(ScenarioErrorOf(path).find("source.replay.time: required key is missing"),
            std::string::npos);
  std::ofstream(path) << ReplayYaml("    file: t.jsonl\n    time: time_us\n");
  EXPECT_NE(ScenarioErrorOf(path, {"source.replay.speed=fast"}).find("expected a number"),
            std::string::npos);
  EXPECT_NE(ScenarioErrorOf(path, {"source.replay.loop=0"}).find("out of range"), std::string::npos);
  EXPECT_NE(ScenarioErrorOf(path, {"source.replay.time=a..b"}).find("expected a field name"),
            std::string::npos);
  EXPECT_NE(ScenarioErrorOf(path, {"source.replay.speeed=2"}).find("did you mean 'speed'"),
            std::string::npos);
  EXPECT_NE(ScenarioErrorOf(path, {"source.synthetic.rate=1k/s"}).find("not both"),
            std::string::npos);
}

// ---- the real captures in ../shared/traces --------------------------------

std::string SharedTrace(const std::string& name) {
  const char* env = std::getenv("SLUICE_SHARED_TRACES");
  fs::path dir = env != nullptr ? fs::path(env)
                                : fs::path(SLUICE_SCENARIOS_DIR).parent_path().parent_path() /
                                      "shared" / "traces";
  fs::path file = dir / name;
  return fs::exists(file) ? file.string() : "";
}

std::vector<std::string> FileLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// The value after `"name":` in a line, up to the next ',' or '"'.
std::string RawField(const std::string& line, const std::string& name, bool quoted) {
  std::string marker = "\"" + name + "\":" + (quoted ? "\"" : "");
  size_t at = line.find(marker);
  if (at == std::string::npos) return "";
  at += marker.size();
  return line.substr(at, line.find_first_of(quoted ? "\"" : ",}", at) - at);
}

TEST(ReplayRealTraces, BlueskyJetstreamOutOfOrderIsReplayedInTimeOrder) {
  std::string path = SharedTrace("bluesky-jetstream.jsonl");
  if (path.empty()) GTEST_SKIP() << "../shared/traces/bluesky-jetstream.jsonl is absent";
  std::vector<std::string> lines = FileLines(path);
  ASSERT_EQ(lines.size(), 152u);
  // Independently: the timestamps, their file-order inversions, the sort.
  std::vector<int64_t> us(lines.size());
  uint64_t inversions = 0;
  int64_t max_so_far = INT64_MIN;
  for (size_t i = 0; i < lines.size(); ++i) {
    us[i] = std::stoll(RawField(lines[i], "time_us", false));
    if (us[i] < max_so_far) ++inversions;
    max_so_far = std::max(max_so_far, us[i]);
  }
  std::vector<size_t> order(lines.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return us[a] < us[b]; });
  EXPECT_GE(inversions, 42u);  // SOURCES.md: 42 negative gaps

  for (double speed : {1.0, 1000.0}) {
    ReplaySourceSpec spec = Spec(path);
    spec.time_format = TimeFormat::kAuto;  // as a scenario would say it
    spec.speed = speed;
    spec.key_field = "did";
    spec.type_field = "commit.operation";
    ReplayStream stream(spec, 8);
    std::vector<Replayed> got = Drain(stream);
    ASSERT_EQ(got.size(), 152u);
    std::map<std::string, uint64_t> by_type;
    for (size_t i = 0; i < got.size(); ++i) {
      size_t src = order[i];
      EXPECT_EQ(got[i].line, lines[src]) << i;
      EXPECT_EQ(got[i].event.intended_ns, Scaled((us[src] - us[order[0]]) * 1000, speed)) << i;
      EXPECT_EQ(got[i].key, RawField(lines[src], "did", true));
      by_type[stream.type_names().at(got[i].event.type)]++;
    }
    EXPECT_EQ(stream.counters().out_of_order.Get(), inversions);
    EXPECT_EQ(stream.counters().clamped.Get(), 0u);
    EXPECT_EQ(by_type, (std::map<std::string, uint64_t>{
                           {"create", 144}, {"delete", 4}, {"update", 2}, {"(missing)", 2}}));
  }
}

TEST(ReplayRealTraces, WikipediaRecentChangeUsesMetaDt) {
  std::string path = SharedTrace("wikipedia-recentchange.jsonl");
  if (path.empty()) GTEST_SKIP() << "../shared/traces/wikipedia-recentchange.jsonl is absent";
  std::vector<std::string> lines = FileLines(path);
  ASSERT_EQ(lines.size(), 500u);
  std::vector<int64_t> ns(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string dt = RawField(lines[i], "dt", true);  // 2026-09-17T03:42:33.778Z
    std::tm tm{};
    ASSERT_NE(strptime(dt.c_str(), "%Y-%m-%dT%H:%M:%S", &tm), nullptr) << dt;
    ns[i] = static_cast<int64_t>(timegm(&tm)) * 1'000'000'000 + std::stoll(dt.substr(20, 3)) * 1'000'000;
  }
  std::vector<size_t> order(lines.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ns[a] < ns[b]; });
  ReplaySourceSpec spec = Spec(path, "meta.dt");
  spec.type_field = "type";
  spec.speed = 1000;
  ReplayStream stream(spec, 8);
  std::vector<Replayed> got = Drain(stream);
  ASSERT_EQ(got.size(), 500u);
  std::map<std::string, uint64_t> by_type;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].line, lines[order[i]]) << i;
    EXPECT_EQ(got[i].event.intended_ns, Scaled(ns[order[i]] - ns[order[0]], 1000)) << i;
    by_type[stream.type_names().at(got[i].event.type)]++;
  }
  EXPECT_EQ(by_type, (std::map<std::string, uint64_t>{
                         {"categorize", 261}, {"edit", 209}, {"new", 16}, {"log", 14}}));
  EXPECT_EQ(stream.counters().bad_lines.Get(), 0u);
}

// ---- with the pacer: slots are given back on every path -------------------

Scenario ReplayScenario(const ReplaySourceSpec& spec, int64_t duration_ns, int64_t capacity,
                        WhenFull policy) {
  Scenario s;
  s.source_kind = SourceKind::kReplay;
  s.replay = spec;
  s.duration_ns = duration_ns;
  s.warmup_ns = 0;
  s.queue.capacity = capacity;
  s.queue.when_full = policy;
  return s;
}

TEST(ReplaySource, DroppedAndEvictedLinesGiveTheirSlotsBack) {
  TempDir dir;
  std::vector<std::string> lines;
  for (int i = 0; i < 100; ++i) lines.push_back(Line(i * 10, i));
  std::string path = WriteTrace(dir, "drop.jsonl", lines);
  for (WhenFull policy : {WhenFull::kDropNewest, WhenFull::kDropOldest}) {
    SCOPED_TRACE(ToString(policy));
    ReplaySourceSpec spec = Spec(path);
    spec.speed = 0;  // max
    spec.loop = 0;   // forever
    Scenario s = ReplayScenario(spec, 100'000'000, 8, policy);
    BoundedQueue<Event> queue(8);
    ReplayStream stream(spec, 8);  // exactly the queue: no worker holds any
    Source source(s, queue, stream);
    std::atomic<bool> stop{false};
    source.Run(NowNs(), stop);
    const SourceCounters& c = source.counters();
    EXPECT_GT(c.generated.Get(), 1000u);
    EXPECT_EQ(c.dropped_newest.Get() + c.dropped_oldest.Get(), c.generated.Get() - 8);
    EXPECT_EQ(c.scheduled.Get(), c.generated.Get());  // no schedule, nothing unsent
    EXPECT_EQ(c.unsent.Get(), 0u);
    EXPECT_EQ(stream.arena().waits(), 0u);  // never short of a slot
  }
}

TEST(ReplaySource, LinesReachTheWorkerIntactThroughASmallArena) {
  TempDir dir;
  std::vector<std::string> lines;
  for (int i = 0; i < 20000; ++i) lines.push_back(Line(i, i) + std::string(i % 300, ' '));
  std::string path = WriteTrace(dir, "intact.jsonl.gz", lines);
  ReplaySourceSpec spec = Spec(path);
  spec.speed = 0;
  spec.reorder_window = 16;
  constexpr size_t kCapacity = 64, kBatch = 32;
  Scenario s = ReplayScenario(spec, 60'000'000'000, kCapacity, WhenFull::kBlock);
  BoundedQueue<Event> queue(kCapacity);
  ReplayStream stream(spec, kCapacity + kBatch);
  Source source(s, queue, stream);
  std::atomic<bool> stop{false}, done{false};
  std::vector<std::string> received;
  std::thread worker([&] {
    auto token = queue.MakeConsumerToken();
    std::vector<Event> batch(kBatch);
    while (true) {
      bool finished = done.load();
      size_t n = queue.PopBulk(token, batch.data(), batch.size(), 1000);
      if (n == 0 && finished) break;
      for (size_t i = 0; i < n; ++i) {
        received.emplace_back(stream.arena().Line(batch[i].slot));
        stream.arena().Release(batch[i].slot);
      }
    }
  });
  source.Run(NowNs(), stop);
  done.store(true);
  worker.join();
  ASSERT_EQ(received.size(), lines.size());
  for (size_t i = 0; i < lines.size(); ++i) ASSERT_EQ(received[i], lines[i]) << i;
  EXPECT_EQ(stream.arena().waits(), 0u);
  EXPECT_EQ(source.counters().dropped_newest.Get() + source.counters().dropped_oldest.Get(), 0u);
}

TEST(ReplaySource, PacedReplayCountsWhatTheRunDidNotReachAsUnsent) {
  TempDir dir;
  // One event per 10 ms of trace time, for 10 s; replayed at 10x for 200 ms:
  // the events due in the first 200 ms are handed over, the rest never read.
  std::vector<std::string> lines;
  for (int i = 0; i < 1000; ++i) lines.push_back(Line(int64_t{i} * 10'000, i));
  ReplaySourceSpec spec = Spec(WriteTrace(dir, "paced.jsonl", lines));
  spec.speed = 10;
  spec.reorder_window = 16;
  Scenario s = ReplayScenario(spec, 200'000'000, 1000, WhenFull::kDropNewest);
  BoundedQueue<Event> queue(1000);
  ReplayStream stream(spec, 1000);
  Source source(s, queue, stream);
  std::atomic<bool> stop{false};
  source.Run(NowNs(), stop);
  const SourceCounters& c = source.counters();
  EXPECT_EQ(c.scheduled.Get(), 200u);  // intended 0, 1 ms, ..., 199 ms
  EXPECT_EQ(c.generated.Get() + c.unsent.Get(), 200u);
  EXPECT_LE(stream.counters().lines.Get(), 200u + 17);  // the rest of the file was not read
}

// ---- memory does not grow with the file -----------------------------------

TEST(ReplaySource, ATraceLargerThanTheMemoryBoundIsStreamed) {
  // 256 MB of 1 KiB lines; the process may grow by at most 32 MB while it
  // replays all of them (the window, the arena and the read buffers).
  constexpr int64_t kLines = 256 * 1024;
  constexpr int64_t kBound = 32 << 20;
  TempDir dir;
  std::string path = dir.File("large.jsonl");
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::string pad(940, 'w');
    for (size_t i = 0; i < pad.size(); i += 7) pad[i] = ' ';
    char line[1100];
    for (int64_t i = 0; i < kLines; ++i) {
      int n = std::snprintf(line, sizeof line, R"({"time_us":%lld,"i":%lld,"text":"%s"})" "\n",
                            static_cast<long long>(1783175888000000 + i * 3),
                            static_cast<long long>(i), pad.c_str());
      ASSERT_EQ(std::fwrite(line, 1, static_cast<size_t>(n), f), static_cast<size_t>(n));
    }
    ASSERT_EQ(std::fclose(f), 0);
  }
  ASSERT_GT(fs::file_size(path), static_cast<uintmax_t>(7 * kBound));
  ResetPeakRss();
  const int64_t before = PeakRssBytes();
  uint64_t events = 0, bytes = 0;
  {
    ReplaySourceSpec spec = Spec(path);
    spec.speed = 0;
    ReplayStream stream(spec, 10'000 + 256);
    Event e;
    while (stream.Next(&e)) {
      ++events;
      bytes += e.size;
      stream.Discard(e);
    }
    EXPECT_TRUE(stream.error().empty()) << stream.error();
  }
  const int64_t grown = PeakRssBytes() - before;
  EXPECT_EQ(events, static_cast<uint64_t>(kLines));
  EXPECT_EQ(bytes + events, fs::file_size(path));
  EXPECT_LT(grown, kBound) << "peak RSS grew by " << grown << " bytes";
}

}  // namespace
}  // namespace sluice
