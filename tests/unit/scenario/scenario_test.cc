#include "sluice/scenario/scenario.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "sluice/pipeline/kafka_client.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

// A scenario that parses; tests break one thing at a time.
constexpr const char* kValid = R"(name: t
seed: 9
duration: 2s
warmup: 500ms
broker:
  embedded: { brokers: 3, rtt: 0ms }
topic: { name: t.topic, partitions: 6 }
source:
  synthetic:
    rate: 50k/s
    arrival: poisson
    events:
      - { type: create, weight: 0.86, size: { median: 450B, p99: 2500B } }
      - { type: delete, weight: 0.12, size: 180B }
    keys: { count: 1000, zipf: 1.1 }
queue: { capacity: 10000, when_full: drop_newest }
producers:
  threads: 4
  client: per_thread
  delivery: async
  kafka:
    linger.ms: 5
    acks: all
)";

class ScenarioFile : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    path_ = fs::temp_directory_path() /
            ("sluice-scenario-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".yaml");
    std::ofstream(path_) << text;
    return path_.string();
  }
  void TearDown() override {
    if (!path_.empty()) fs::remove(path_);
  }

  // Loads `text` and returns the error it must raise.
  ScenarioError ErrorOf(const std::string& text, const std::vector<std::string>& sets = {}) {
    std::string file = Write(text);
    try {
      ScenarioPlan plan = LoadPlan(file, sets);
      for (const auto& cell : plan.cells) ValidateKafkaProperties(cell);
    } catch (const ScenarioError& e) {
      return e;
    }
    ADD_FAILURE() << "no error for:\n" << text;
    return ScenarioError({}, "", "");
  }

  static std::string Replace(std::string text, const std::string& from, const std::string& to) {
    size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
  }

  fs::path path_;
};

TEST_F(ScenarioFile, ParsesEveryFieldOfAValidScenario) {
  ScenarioPlan plan = LoadPlan(Write(kValid), {});
  ASSERT_EQ(plan.cells.size(), 1u);
  const Scenario& s = plan.cells[0];
  EXPECT_EQ(s.name, "t");
  EXPECT_EQ(s.seed, 9u);
  EXPECT_EQ(s.duration_ns, 2'000'000'000);
  EXPECT_EQ(s.warmup_ns, 500'000'000);
  EXPECT_EQ(s.total_ns(), 2'500'000'000);
  EXPECT_TRUE(s.broker.embedded);
  EXPECT_EQ(s.broker.brokers, 3);
  EXPECT_EQ(s.topic.name, "t.topic");
  EXPECT_EQ(s.topic.partitions, 6);
  EXPECT_DOUBLE_EQ(s.source.rate, 50'000);
  EXPECT_EQ(s.source.arrival, ArrivalKind::kPoisson);
  ASSERT_EQ(s.source.events.size(), 2u);
  EXPECT_EQ(s.source.events[0].name, "create");
  EXPECT_EQ(s.source.events[0].size.kind, SizeDistribution::Kind::kLognormal);
  EXPECT_EQ(s.source.events[0].size.median, 450);
  EXPECT_EQ(s.source.events[0].size.p99, 2500);
  EXPECT_EQ(s.source.events[1].size.kind, SizeDistribution::Kind::kFixed);
  EXPECT_EQ(s.source.events[1].size.fixed, 180);
  EXPECT_EQ(s.source.keys.kind, KeySpec::Kind::kZipf);
  EXPECT_EQ(s.source.keys.count, 1000);
  EXPECT_EQ(s.queue.capacity, 10000);
  EXPECT_EQ(s.queue.when_full, WhenFull::kDropNewest);
  EXPECT_EQ(s.producers.threads, 4);
  ASSERT_EQ(s.producers.kafka.size(), 2u);
  EXPECT_EQ(s.producers.kafka[0].name, "linger.ms");
  EXPECT_EQ(s.producers.kafka[0].value, "5");
  EXPECT_EQ(s.producers.kafka[0].where.line, 22);
}

TEST_F(ScenarioFile, MalformedYamlNamesTheLine) {
  ScenarioError e = ErrorOf(Replace(kValid, "queue: { capacity: 10000, when_full: drop_newest }",
                                    "queue: { capacity: 10000, when_full: drop_newest"));
  EXPECT_NE(std::string(e.what()).find("malformed YAML"), std::string::npos) << e.what();
  EXPECT_GE(e.where().line, 16);
  EXPECT_EQ(e.where().file, path_.string());
}

TEST_F(ScenarioFile, UnknownKeySuggestsTheNearestValidOne) {
  ScenarioError e = ErrorOf(Replace(kValid, "duration: 2s", "duraton: 2s"));
  // "duration" is then missing too, but the unknown key is reported first.
  EXPECT_EQ(e.key(), "duraton");
  EXPECT_EQ(e.where().line, 3);
  EXPECT_EQ(e.where().column, 1);
  EXPECT_NE(e.message().find("did you mean 'duration'"), std::string::npos) << e.what();
}

TEST_F(ScenarioFile, UnknownNestedKeyNamesItsFullPath) {
  ScenarioError e = ErrorOf(Replace(kValid, "when_full: drop_newest", "when_ful: drop_newest"));
  EXPECT_EQ(e.key(), "queue.when_ful");
  EXPECT_EQ(e.where().line, 16);
  EXPECT_NE(e.message().find("did you mean 'when_full'"), std::string::npos) << e.what();
}

TEST_F(ScenarioFile, WrongTypeSaysWhatWasExpected) {
  ScenarioError e = ErrorOf(Replace(kValid, "threads: 4", "threads: four"));
  EXPECT_EQ(e.key(), "producers.threads");
  EXPECT_EQ(e.where().line, 18);
  EXPECT_EQ(e.where().column, 12);
  EXPECT_NE(e.message().find("expected an integer"), std::string::npos) << e.what();

  e = ErrorOf(Replace(kValid, "    keys: { count: 1000, zipf: 1.1 }", "    keys: [1, 2]"));
  EXPECT_EQ(e.key(), "source.synthetic.keys");
  EXPECT_EQ(e.where().line, 15);
}

TEST_F(ScenarioFile, OutOfRangeValuesAreRefused) {
  ScenarioError e = ErrorOf(Replace(kValid, "threads: 4", "threads: 0"));
  EXPECT_EQ(e.key(), "producers.threads");
  EXPECT_NE(e.message().find("out of range [1, 64]"), std::string::npos) << e.what();

  e = ErrorOf(Replace(kValid, "capacity: 10000", "capacity: 0"));
  EXPECT_EQ(e.key(), "queue.capacity");

  e = ErrorOf(Replace(kValid, "p99: 2500B", "p99: 100B"));
  EXPECT_EQ(e.key(), "source.synthetic.events.0.size.p99");
  EXPECT_NE(e.message().find("at least the median"), std::string::npos) << e.what();
}

TEST_F(ScenarioFile, UnitsAreRequiredWhereTheyMatter) {
  ScenarioError e = ErrorOf(Replace(kValid, "duration: 2s", "duration: 2"));
  EXPECT_EQ(e.key(), "duration");
  EXPECT_NE(e.message().find("expected a duration"), std::string::npos) << e.what();

  e = ErrorOf(Replace(kValid, "rate: 50k/s", "rate: 50k/min"));
  EXPECT_EQ(e.key(), "source.synthetic.rate");
  EXPECT_EQ(e.where().line, 10);

  e = ErrorOf(Replace(kValid, "size: 180B", "size: 180 bytes"));
  EXPECT_EQ(e.key(), "source.synthetic.events.1.size");
}

TEST_F(ScenarioFile, BadChoiceListsTheChoicesAndSuggests) {
  ScenarioError e = ErrorOf(Replace(kValid, "when_full: drop_newest", "when_full: drop_newset"));
  EXPECT_EQ(e.key(), "queue.when_full");
  EXPECT_NE(e.message().find("drop_newest | drop_oldest | block"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("did you mean 'drop_newest'"), std::string::npos) << e.what();
}

TEST_F(ScenarioFile, MissingRequiredKey) {
  std::string text = kValid;
  text = text.substr(0, text.find("source:")) + text.substr(text.find("queue:"));
  ScenarioError e = ErrorOf(text);
  EXPECT_EQ(e.key(), "source");
  EXPECT_NE(e.message().find("required"), std::string::npos) << e.what();
}

TEST_F(ScenarioFile, LibrdkafkaRefusalsAreQuotedWithTheirLine) {
  ScenarioError e = ErrorOf(Replace(kValid, "linger.ms: 5", "linger.mss: 5"));
  EXPECT_EQ(e.key(), "producers.kafka.linger.mss");
  EXPECT_EQ(e.where().line, 22);
  EXPECT_NE(e.message().find("No such configuration property"), std::string::npos) << e.what();

  e = ErrorOf(Replace(kValid, "acks: all", "acks: some"));
  EXPECT_EQ(e.key(), "producers.kafka.acks");
  EXPECT_EQ(e.where().line, 23);
  EXPECT_NE(e.message().find("librdkafka refused it"), std::string::npos) << e.what();
}

TEST_F(ScenarioFile, LibrdkafkaRefusalsOfCombinationsComeFromRdKafkaNew) {
  ScenarioError e =
      ErrorOf(Replace(kValid, "acks: all", "acks: 1\n    enable.idempotence: true"));
  EXPECT_EQ(e.key(), "producers.kafka");
  EXPECT_NE(e.message().find("acks"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("combination"), std::string::npos) << e.what();
}

TEST_F(ScenarioFile, BootstrapServersBelongToTheBrokerSection) {
  ScenarioError e = ErrorOf(Replace(kValid, "acks: all", "bootstrap.servers: x:9092"));
  EXPECT_EQ(e.key(), "producers.kafka.bootstrap.servers");
  EXPECT_NE(e.message().find("broker.bootstrap"), std::string::npos) << e.what();
}

TEST_F(ScenarioFile, SetOverridesAnyKeyIncludingDottedKafkaProperties) {
  std::string file = Write(kValid);
  ScenarioPlan plan = LoadPlan(file, {"producers.threads=2", "producers.kafka.linger.ms=50",
                                      "producers.kafka.compression.type=zstd",
                                      "source.synthetic.events.1.size=64KiB"});
  const Scenario& s = plan.cells.at(0);
  EXPECT_EQ(s.producers.threads, 2);
  ASSERT_EQ(s.producers.kafka.size(), 3u);
  EXPECT_EQ(s.producers.kafka[0].name, "linger.ms");
  EXPECT_EQ(s.producers.kafka[0].value, "50");
  EXPECT_EQ(s.producers.kafka[2].name, "compression.type");
  EXPECT_EQ(s.producers.kafka[2].value, "zstd");
  EXPECT_EQ(s.source.events[1].size.fixed, 65536);
}

TEST_F(ScenarioFile, BadSetNamesTheOverride) {
  ScenarioError e = ErrorOf(kValid, {"producers.thread=2"});
  EXPECT_EQ(e.key(), "producers.thread");
  EXPECT_NE(e.where().origin.find("--set producers.thread=2"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("did you mean 'threads'"), std::string::npos) << e.what();

  e = ErrorOf(kValid, {"producers.threads=many"});
  EXPECT_EQ(e.key(), "producers.threads");
  EXPECT_NE(std::string(e.what()).find("--set producers.threads=many"), std::string::npos);

  e = ErrorOf(kValid, {"no-equals-sign"});
  EXPECT_NE(e.message().find("expected --set"), std::string::npos) << e.what();
}

TEST_F(ScenarioFile, SweepExpandsTheCartesianProductLastKeyFastest) {
  std::string text = std::string(kValid) +
                     "sweep:\n"
                     "  producers.kafka.linger.ms: [0, 50]\n"
                     "  producers.threads: [1, 2, 4]\n";
  ScenarioPlan plan = LoadPlan(Write(text), {});
  ASSERT_EQ(plan.cells.size(), 6u);
  EXPECT_EQ(plan.swept_keys, (std::vector<std::string>{"producers.kafka.linger.ms", "producers.threads"}));
  const int threads[] = {1, 2, 4, 1, 2, 4};
  const char* linger[] = {"0", "0", "0", "50", "50", "50"};
  for (size_t i = 0; i < 6; ++i) {
    const Scenario& s = plan.cells[i];
    EXPECT_EQ(s.producers.threads, threads[i]) << i;
    EXPECT_EQ(s.producers.kafka[0].value, linger[i]) << i;
    ASSERT_EQ(s.parameters.size(), 2u);
    EXPECT_EQ(s.parameters[0].key, "producers.kafka.linger.ms");
    EXPECT_EQ(s.parameters[0].value, linger[i]);
    EXPECT_EQ(s.parameters[1].value, std::to_string(threads[i]));
  }
}

TEST_F(ScenarioFile, SetAppliesToEveryCellOfASweep) {
  std::string text = std::string(kValid) + "sweep:\n  producers.threads: [1, 2]\n";
  ScenarioPlan plan = LoadPlan(Write(text), {"queue.capacity=77"});
  ASSERT_EQ(plan.cells.size(), 2u);
  for (const auto& s : plan.cells) EXPECT_EQ(s.queue.capacity, 77);
}

TEST_F(ScenarioFile, BadSweepValuePointsAtItsLine) {
  std::string text = std::string(kValid) + "sweep:\n  producers.threads: [1, 2,\n    999]\n";
  ScenarioError e = ErrorOf(text);
  EXPECT_EQ(e.key(), "producers.threads");
  EXPECT_EQ(e.where().line, 26);
  EXPECT_NE(std::string(e.what()).find("sweep value producers.threads=999"), std::string::npos)
      << e.what();
}

TEST_F(ScenarioFile, SweepOfAnUnknownKeyIsRefused) {
  std::string text = std::string(kValid) + "sweep:\n  producers.treads: [1, 2]\n";
  ScenarioError e = ErrorOf(text);
  EXPECT_EQ(e.key(), "producers.treads");
  EXPECT_NE(e.message().find("did you mean 'threads'"), std::string::npos) << e.what();
}

TEST_F(ScenarioFile, ArrivalOptionsMustMatchTheArrival) {
  ScenarioError e = ErrorOf(
      Replace(kValid, "arrival: poisson", "arrival: poisson\n    bursty: { on: 1s, off: 1s, factor: 2 }"));
  EXPECT_EQ(e.key(), "source.synthetic.bursty");
  EXPECT_NE(e.message().find("arrival: bursty"), std::string::npos) << e.what();
}

TEST_F(ScenarioFile, TopicReuseAndConfigAreRead) {
  const std::string text =
      Replace(kValid, "topic: { name: t.topic, partitions: 6 }",
              "topic: { name: shared, partitions: 3, replication: 3, reuse: true,\n"
              "         config: { min.insync.replicas: 2, retention.ms: 60000 } }");
  const Scenario s = LoadPlan(Write(text), {}).cells.at(0);
  EXPECT_TRUE(s.topic.reuse);
  EXPECT_EQ(s.topic.name, "shared");
  EXPECT_EQ(s.topic.replication, 3);
  ASSERT_EQ(s.topic.config.size(), 2u);
  EXPECT_EQ(s.topic.config[0].name, "min.insync.replicas");
  EXPECT_EQ(s.topic.config[0].value, "2");
  // Off by default, and --set reaches it.
  EXPECT_FALSE(LoadPlan(Write(kValid), {}).cells.at(0).topic.reuse);
  EXPECT_TRUE(LoadPlan(Write(kValid), {"topic.reuse=true"}).cells.at(0).topic.reuse);
}

TEST_F(ScenarioFile, TopicReuseMustBeABoolean) {
  ScenarioError e = ErrorOf(Replace(kValid, "partitions: 6 }", "partitions: 6, reuse: sometimes }"));
  EXPECT_EQ(e.key(), "topic.reuse");
  EXPECT_EQ(e.where().line, 7);
  EXPECT_NE(e.message().find("true or false"), std::string::npos) << e.what();
}

TEST_F(ScenarioFile, TopicNameDefaultsToTheScenarioName) {
  const Scenario s =
      LoadPlan(Write(Replace(kValid, "topic: { name: t.topic, partitions: 6 }", "topic: { partitions: 2 }")), {})
          .cells.at(0);
  EXPECT_EQ(s.topic.name, "t");
}

TEST_F(ScenarioFile, MissingFileIsAScenarioError) {
  try {
    LoadPlan("/nonexistent/scenario.yaml", {});
    FAIL() << "no error";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.where().file, "/nonexistent/scenario.yaml");
    EXPECT_NE(e.message().find("cannot open"), std::string::npos);
  }
}

// Every scenario we ship must load and pass librdkafka's checks.
TEST_F(ScenarioFile, RateMaxReadsItsSearch) {
  ScenarioPlan plan = LoadPlan(
      Write(Replace(kValid, "rate: 50k/s",
                    "rate: max\n    max_rate: { p99_below: 50ms, probe: 3s, start: 2k/s, limit: 2M/s, "
                    "max_probes: 9 }")),
      {});
  const SyntheticSourceSpec& src = plan.cells.at(0).source;
  EXPECT_TRUE(src.search_max_rate);
  EXPECT_EQ(src.max_rate.p99_below_ns, 50'000'000);
  EXPECT_EQ(src.max_rate.probe_ns, 3'000'000'000);
  EXPECT_DOUBLE_EQ(src.max_rate.start, 2000);
  EXPECT_DOUBLE_EQ(src.max_rate.limit, 2e6);
  EXPECT_EQ(src.max_rate.max_probes, 9);
  EXPECT_DOUBLE_EQ(src.rate, 2000);  // the first probe's
  EXPECT_FALSE(LoadPlan(Write(kValid), {}).cells.at(0).source.search_max_rate);
}

TEST_F(ScenarioFile, RateMaxNeedsItsBoundAndNothingElseTakesIt) {
  ScenarioError e = ErrorOf(Replace(kValid, "rate: 50k/s", "rate: max"));
  EXPECT_NE(std::string(e.what()).find("rate: max needs max_rate: {p99_below"), std::string::npos) << e.what();
  e = ErrorOf(Replace(kValid, "rate: 50k/s", "rate: max\n    max_rate: { probe: 3s }"));
  EXPECT_NE(std::string(e.what()).find("source.synthetic.max_rate.p99_below: required key is missing"),
            std::string::npos)
      << e.what();
  e = ErrorOf(Replace(kValid, "rate: 50k/s", "rate: 50k/s\n    max_rate: { p99_below: 50ms }"));
  EXPECT_NE(std::string(e.what()).find("is only used with rate: max"), std::string::npos) << e.what();
  e = ErrorOf(Replace(kValid, "rate: 50k/s", "rate: max\n    max_rate: { p99_below: 50ms, start: 5k/s, limit: 1k/s }"));
  EXPECT_NE(std::string(e.what()).find("above limit"), std::string::npos) << e.what();
  e = ErrorOf(Replace(kValid, "rate: 50k/s", "rate: max\n    max_rate: { p99_below: 50, max_probes: 0 }"));
  EXPECT_NE(std::string(e.what()).find("max_rate.p99_below"), std::string::npos) << e.what();
}

TEST(ShippedScenarios, AllValidate) {
  int seen = 0;
  for (const auto& entry : fs::recursive_directory_iterator(SLUICE_SCENARIOS_DIR)) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    ScenarioPlan plan;
    ASSERT_NO_THROW(plan = LoadPlan(entry.path().string(), {}));
    for (const auto& cell : plan.cells) EXPECT_NO_THROW(ValidateKafkaProperties(cell));
    ++seen;
  }
  EXPECT_GE(seen, 7);
}

TEST_F(ScenarioFile, SourceTimingIsSleepUnlessSetToSpin) {
  EXPECT_EQ(LoadPlan(Write(kValid), {}).cells[0].timing, SourceTiming::kSleep);
  const std::string spin = Replace(kValid, "source:\n", "source:\n  timing: spin\n");
  EXPECT_EQ(LoadPlan(Write(spin), {}).cells[0].timing, SourceTiming::kSpin);
  EXPECT_EQ(LoadPlan(Write(kValid), {"source.timing=spin"}).cells[0].timing, SourceTiming::kSpin);
  ScenarioError e = ErrorOf(Replace(kValid, "source:\n", "source:\n  timing: spinn\n"));
  EXPECT_EQ(e.key(), "source.timing");
  EXPECT_EQ(e.where().line, 9);
  EXPECT_NE(e.message().find("sleep | spin"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("did you mean 'spin'"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

class VerifyKey : public ScenarioFile {};

TEST_F(VerifyKey, OffUnlessAsked) {
  const Scenario s = LoadPlan(Write(kValid), {}).cells.at(0);
  EXPECT_FALSE(s.verify.identity);
  EXPECT_FALSE(s.verify.consume);
}

TEST_F(VerifyKey, TrueCarriesTheIdentityInHeadersAndReadsBack) {
  const Scenario s = LoadPlan(Write(std::string(kValid) + "verify: true\n"), {}).cells.at(0);
  EXPECT_TRUE(s.verify.identity);
  EXPECT_TRUE(s.verify.consume);
  EXPECT_EQ(s.verify.carrier, IdentityCarrier::kHeaders);
}

TEST_F(VerifyKey, TheMapSetsItsParts) {
  const Scenario s =
      LoadPlan(Write(std::string(kValid) + "verify: { carrier: value, consume: false, timeout: 5s }\n"), {})
          .cells.at(0);
  EXPECT_TRUE(s.verify.identity);
  EXPECT_FALSE(s.verify.consume);
  EXPECT_EQ(s.verify.carrier, IdentityCarrier::kValue);
  EXPECT_EQ(s.verify.timeout_ns, 5'000'000'000);
}

TEST_F(VerifyKey, BadValuesNameTheKeyAndLine) {
  ScenarioError e = ErrorOf(std::string(kValid) + "verify: { carrier: footer }\n");
  EXPECT_EQ(e.key(), "verify.carrier");
  EXPECT_EQ(e.where().line, 24);
  e = ErrorOf(std::string(kValid) + "verify: maybe\n");
  EXPECT_EQ(e.key(), "verify");
  e = ErrorOf(std::string(kValid) + "verify: { carier: value }\n");
  EXPECT_EQ(e.key(), "verify.carier");
  EXPECT_NE(e.message().find("did you mean 'carrier'"), std::string::npos) << e.what();
}

TEST_F(ScenarioFile, SourcePriorityIsNormalUnlessSetToRealtime) {
  EXPECT_EQ(LoadPlan(Write(kValid), {}).cells[0].priority, SourcePriority::kNormal);
  EXPECT_EQ(LoadPlan(Write(kValid), {"source.priority=realtime"}).cells[0].priority, SourcePriority::kRealtime);
  ScenarioError e = ErrorOf(Replace(kValid, "source:\n", "source:\n  priority: high\n"));
  EXPECT_EQ(e.key(), "source.priority");
  EXPECT_EQ(e.where().line, 9);
  EXPECT_NE(e.message().find("normal | realtime"), std::string::npos) << e.what();
}

TEST_F(ScenarioFile, VerifySettleIsADuration) {
  EXPECT_EQ(LoadPlan(Write(kValid), {"verify.settle=3s"}).cells[0].verify.settle_ns, 3'000'000'000);
  ScenarioError e = ErrorOf(kValid + std::string("verify: { settle: soon }\n"));
  EXPECT_EQ(e.key(), "verify.settle");
}

}  // namespace
}  // namespace sluice
