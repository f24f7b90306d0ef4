// Per-event costs of the replay source and of realistic payloads: what the
// source thread pays for each replayed line (read, validate as JSON, extract
// the time, key and type fields, order, hand out a slot) and what a worker
// pays to compose a synthetic document.
//
// BM_ReplayNext replays a 20,000-line Jetstream-like trace (plain or gzip,
// the argument) in a loop at speed max; BM_JsonExtract is the field
// extraction alone on one real-sized line; BM_DocumentWrite composes one
// document of the given size (bluesky 500 B, wikipedia 1300 B).

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "sluice/pipeline/documents.h"
#include "sluice/pipeline/json_fields.h"
#include "sluice/pipeline/replay.h"
#include "sluice/pipeline/trace_io.h"

namespace sluice {
namespace {

constexpr const char* kLine =
    R"({"did":"did:plc:wq4aajammjtxdomz3e23667t","time_us":1783175888085434,"kind":"commit",)"
    R"("commit":{"rev":"3mptbypluud2a","operation":"create","collection":"app.bsky.feed.like",)"
    R"("rkey":"3mptbyplj5d2a","record":{"$type":"app.bsky.feed.like","createdAt":)"
    R"("2026-07-04T14:38:08.999Z","subject":{"cid":"bafyreiftot7eltsc3f6g4qktykmbv6jcmdmhcx5o)"
    R"(sscan6jpdxkpqcmcza","uri":"at://did:plc:r2zybk6op3ymzpz6jhqpkoy5/app.bsky.feed.post/3mp)"
    R"(sjbtci2c2o"}},"cid":"bafyreiguce4jh7kcbmof3pmcvasifqtw24b6isakj5ve5ga2b4z4alpc4i"}})";

std::string MakeTrace(bool gzip) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("sluice-bench-" + std::to_string(::getpid()) + (gzip ? ".jsonl.gz" : ".jsonl")))
                         .string();
  TraceWriter w(path);
  std::string line = kLine;
  for (int i = 0; i < 20000; ++i) {
    std::string t = std::to_string(1783175888085434 + i * 2000);
    line.replace(line.find("\"time_us\":") + 10, 16, t);
    w.WriteLine(line);
  }
  w.Close();
  return path;
}

void BM_ReplayNext(benchmark::State& state) {
  const bool gzip = state.range(0) != 0;
  std::string path = MakeTrace(gzip);
  ReplaySourceSpec spec;
  spec.file = spec.path = path;
  spec.time_field = "time_us";
  spec.key_field = "did";
  spec.type_field = "commit.operation";
  spec.speed = 0;
  spec.loop = 0;
  ReplayStream stream(spec, 10'000);
  Event e;
  uint64_t bytes = 0;
  for (auto _ : state) {
    stream.Next(&e);
    bytes += e.size;
    stream.Discard(e);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  std::filesystem::remove(path);
}
BENCHMARK(BM_ReplayNext)->Arg(0)->Arg(1)->ArgName("gzip");

void BM_JsonExtract(benchmark::State& state) {
  JsonFieldExtractor fields({"time_us", "did", "commit.operation"});
  std::string line = kLine;
  JsonValue v[3];
  for (auto _ : state) {
    bool ok = fields.Extract(line, v, nullptr);
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * line.size()));
}
BENCHMARK(BM_JsonExtract);

void BM_DocumentWrite(benchmark::State& state) {
  const bool wikipedia = state.range(0) != 0;
  std::vector<EventTypeSpec> types(1);
  types[0].name = wikipedia ? "edit" : "create";
  DocumentPool pool(wikipedia ? PayloadFormat::kWikipedia : PayloadFormat::kBluesky, types, 1);
  Event e;
  e.size = wikipedia ? 1300 : 500;
  std::string out(e.size, '\0');
  for (auto _ : state) {
    e.seq++;
    e.intended_ns += 1000;
    pool.Write(e, 1789616553778000, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DocumentWrite)->Arg(0)->Arg(1)->ArgName("wikipedia");

}  // namespace
}  // namespace sluice
