// Loading a scenario as a careless or hostile user writes it (issue 13):
// duplicate keys, several documents, bare rates, files that are no files,
// sizes past the limits, and a sweep built from one parse.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "sluice/core/stop.h"
#include "sluice/scenario/scenario.h"
#include "temp_dir.h"

namespace sluice {
namespace {

constexpr const char* kBase =
    "name: t\n"
    "duration: 1s\n"
    "source:\n"
    "  synthetic:\n"
    "    rate: 1k/s\n";

std::string ErrorOf(const std::string& text, const std::vector<std::string>& sets = {}) {
  try {
    LoadPlanFromText("s.yaml", text, sets);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ScenarioRobustness, ADuplicateKeyIsAnErrorWithBothLines) {
  std::string e = ErrorOf(std::string(kBase) + "duration: 2s\n");
  EXPECT_NE(e.find("s.yaml:6:"), std::string::npos) << e;
  EXPECT_NE(e.find("duration: duplicate key (first given on line 2)"), std::string::npos) << e;
}

TEST(ScenarioRobustness, ADuplicateKeyDeepInsideIsFoundToo) {
  std::string e = ErrorOf(
      "name: t\nduration: 1s\nsource:\n  synthetic:\n    rate: 1k/s\n"
      "producers:\n  kafka:\n    linger.ms: 5\n    linger.ms: 50\n");
  EXPECT_NE(e.find("s.yaml:9:"), std::string::npos) << e;
  EXPECT_NE(e.find("producers.kafka.linger.ms: duplicate key (first given on line 8)"),
            std::string::npos)
      << e;
  // In a flow map as well.
  e = ErrorOf(std::string(kBase) + "queue: { capacity: 5, capacity: 6 }\n");
  EXPECT_NE(e.find("queue.capacity: duplicate key"), std::string::npos) << e;
}

TEST(ScenarioRobustness, ASecondDocumentIsAnErrorWithItsLine) {
  // The line of its "---".
  std::string e = ErrorOf(std::string(kBase) + "---\nname: other\nduration: 5s\n");
  EXPECT_NE(e.find("s.yaml:6:"), std::string::npos) << e;
  EXPECT_NE(e.find("a second YAML document"), std::string::npos) << e;
  // Even an empty one after a trailing marker.
  e = ErrorOf(std::string(kBase) + "---\n");
  EXPECT_NE(e.find("a second YAML document"), std::string::npos) << e;
  EXPECT_NE(e.find("s.yaml:6"), std::string::npos) << e;
  // A leading "---" is one document, as YAML says.
  EXPECT_NO_THROW(LoadPlanFromText("s.yaml", std::string("---\n") + kBase, {}));
}

// Found by tests/fuzz (scenario target): yaml-cpp's LoadAll collected empty
// documents from a lone "," until memory ran out (killed after 8 GB).
TEST(ScenarioRobustness, InputsThatMadeYamlCppLoopAreRefused) {
  for (const char* text : {",", ",\n,", "a: 1\n,", "[1]\n,\n"}) {
    std::string e = ErrorOf(text);
    EXPECT_NE(e.find("s.yaml"), std::string::npos) << text << ": " << e;
    EXPECT_EQ(e.find("(no error)"), std::string::npos) << text;
  }
}

TEST(ScenarioRobustness, ABareRateIsRefused) {
  std::string e = ErrorOf("name: t\nduration: 1s\nsource:\n  synthetic:\n    rate: 1000\n");
  EXPECT_NE(e.find("s.yaml:5:"), std::string::npos) << e;
  EXPECT_NE(e.find("source.synthetic.rate: expected a rate like 500/s"), std::string::npos) << e;
  e = ErrorOf(kBase, {"source.synthetic.rate=2000"});
  EXPECT_NE(e.find("--set source.synthetic.rate=2000"), std::string::npos) << e;
  // With the unit, all is well.
  EXPECT_DOUBLE_EQ(LoadPlanFromText("s.yaml", kBase, {"source.synthetic.rate=2000/s"})
                       .base.source.rate,
                   2000);
}

TEST(ScenarioRobustness, TooManyEventTypesAreRefusedBeforeBeingRead) {
  std::string text = std::string(kBase) + "    events:\n";
  // Entries that are not even valid: the count is refused first.
  for (int i = 0; i < 300; ++i) text += "      - { nonsense: " + std::to_string(i) + " }\n";
  std::string e = ErrorOf(text);
  EXPECT_NE(e.find("source.synthetic.events: at most 255 event types, got 300"),
            std::string::npos)
      << e;
}

TEST(ScenarioRobustness, AFileAboveTheSizeLimitIsRefused) {
  std::string text = std::string(kBase) + "description: \"" +
                     std::string(kMaxScenarioBytes, 'x') + "\"\n";
  std::string e = ErrorOf(text);
  EXPECT_NE(e.find("at most 1048576 bytes"), std::string::npos) << e;
  test_support::TempDir dir("sluice-scenario-robust");
  std::ofstream(dir.File("big.yaml")) << text;
  try {
    LoadPlan(dir.File("big.yaml"), {});
    FAIL() << "loaded a file above the limit";
  } catch (const ScenarioError& err) {
    EXPECT_NE(std::string(err.what()).find("big.yaml: the file has"), std::string::npos)
        << err.what();
  }
}

TEST(ScenarioRobustness, AnAliasBombIsRefused) {
  std::string text = std::string(kBase) + "description: x\n";
  text += "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    std::string p = "*a" + std::to_string(i - 1);
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + p + ", " + p + ", " +
            p + ", " + p + ", " + p + ", " + p + ", " + p + ", " + p + ", " + p + ", " + p + "]\n";
  }
  std::string e = ErrorOf(text);
  EXPECT_NE(e.find("more than 1000000 YAML nodes"), std::string::npos) << e;
}

TEST(ScenarioRobustness, NonRegularFilesAreRefusedWithoutBlocking) {
  test_support::TempDir dir("sluice-scenario-robust");
  auto error_of_file = [](const std::string& path) -> std::string {
    try {
      LoadPlan(path, {});
    } catch (const ScenarioError& e) {
      return e.what();
    }
    return "(no error)";
  };
  // A directory.
  std::string e = error_of_file(dir.path().string());
  EXPECT_NE(e.find("not a regular file"), std::string::npos) << e;
  // A FIFO with no writer: opening it would block for ever; it is refused.
  std::string fifo = dir.File("fifo.yaml");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  e = error_of_file(fifo);
  EXPECT_NE(e.find("fifo.yaml: not a regular file"), std::string::npos) << e;
  // A file of /proc that cannot be read.
  e = error_of_file("/proc/self/mem");
  EXPECT_NE(e.find("/proc/self/mem: cannot read the scenario file"), std::string::npos) << e;
  // A missing file.
  e = error_of_file(dir.File("missing.yaml"));
  EXPECT_NE(e.find("cannot open the scenario file"), std::string::npos) << e;
}

TEST(ScenarioRobustness, ATraceThatIsNotARegularFileIsRefused) {
  std::string text =
      "name: t\nduration: 1s\nsource:\n  replay: { file: /dev/zero, time: time_us }\n";
  std::string e = ErrorOf(text);
  EXPECT_NE(e.find("s.yaml:4:"), std::string::npos) << e;
  EXPECT_NE(e.find("'/dev/zero' is not a regular file"), std::string::npos) << e;
}

TEST(ScenarioRobustness, EveryCellOfASweepIsBuiltFromTheOneParse) {
  // Three axes: every cell must see its own values and no other cell's, and
  // --set applies to all.
  std::string text = std::string(kBase) +
                     "sweep:\n"
                     "  producers.threads: [1, 2, 3]\n"
                     "  producers.kafka.linger.ms: [0, 5]\n"
                     "  queue.when_full: [block, drop_newest]\n";
  ScenarioPlan plan = LoadPlanFromText("s.yaml", text, {"queue.capacity=77"});
  ASSERT_EQ(plan.cells.size(), 12u);
  for (size_t n = 0; n < plan.cells.size(); ++n) {
    const Scenario& c = plan.cells[n];
    EXPECT_EQ(c.producers.threads, static_cast<int>(n / 4) + 1) << n;
    ASSERT_EQ(c.producers.kafka.size(), 1u) << n;
    EXPECT_EQ(c.producers.kafka[0].name, "linger.ms");
    EXPECT_EQ(c.producers.kafka[0].value, (n / 2) % 2 == 0 ? "0" : "5") << n;
    EXPECT_EQ(c.queue.when_full, n % 2 == 0 ? WhenFull::kBlock : WhenFull::kDropNewest) << n;
    EXPECT_EQ(c.queue.capacity, 77) << n;
    ASSERT_EQ(c.parameters.size(), 3u);
  }
  // The base has the --set, not the sweep.
  EXPECT_EQ(plan.base.queue.capacity, 77);
  EXPECT_TRUE(plan.base.producers.kafka.empty());
}

TEST(ScenarioRobustness, EventTypesAreReadOnceUnlessSwept) {
  std::string text = std::string(kBase) +
                     "    events:\n"
                     "      - { type: a, weight: 3, size: 100B }\n"
                     "      - { type: b, weight: 1, size: { median: 200B, p99: 900B } }\n";
  // Not swept: every cell has the file's types.
  ScenarioPlan plan =
      LoadPlanFromText("s.yaml", text + "sweep:\n  source.synthetic.rate: [1/s, 2/s]\n", {});
  ASSERT_EQ(plan.cells.size(), 2u);
  for (const auto& c : plan.cells) {
    ASSERT_EQ(c.source.events.size(), 2u);
    EXPECT_EQ(c.source.events[1].name, "b");
    EXPECT_EQ(c.source.events[1].size.median, 200);
  }
  EXPECT_DOUBLE_EQ(plan.cells[1].source.rate, 2);
  // Swept below them: each cell reads its own.
  plan = LoadPlanFromText("s.yaml",
                          text + "sweep:\n  source.synthetic.events.1.size: [300B, 400B]\n", {});
  ASSERT_EQ(plan.cells.size(), 2u);
  EXPECT_EQ(plan.cells[0].source.events[1].size.fixed, 300);
  EXPECT_EQ(plan.cells[1].source.events[1].size.fixed, 400);
  EXPECT_EQ(plan.cells[1].source.events[0].size.fixed, 100);
  // A bad swept value below them is still found.
  std::string e = ErrorOf(text + "sweep:\n  source.synthetic.events.0.weight: [1, -1]\n");
  EXPECT_NE(e.find("sweep value source.synthetic.events.0.weight=-1"), std::string::npos) << e;
}

TEST(ScenarioRobustness, ABadSweptValueStillNamesItsLine) {
  std::string text = std::string(kBase) + "sweep:\n  producers.threads: [1, 2, 0]\n";
  std::string e = ErrorOf(text);
  EXPECT_NE(e.find("s.yaml:7:"), std::string::npos) << e;
  EXPECT_NE(e.find("sweep value producers.threads=0"), std::string::npos) << e;
}

TEST(ScenarioRobustness, ALargeSweepIsBuiltAndItsLimitHolds) {
  std::string values;
  for (int i = 0; i < 10000; ++i) values += (i ? ", " : "") + std::to_string(i + 1) + "/s";
  ScenarioPlan plan =
      LoadPlanFromText("s.yaml", std::string(kBase) + "sweep:\n  source.synthetic.rate: [" +
                                     values + "]\n",
                       {});
  ASSERT_EQ(plan.cells.size(), 10000u);
  EXPECT_DOUBLE_EQ(plan.cells[9999].source.rate, 10000);
  std::string e = ErrorOf(std::string(kBase) + "sweep:\n  source.synthetic.rate: [" + values +
                          ", 5/s]\n");
  EXPECT_NE(e.find("more than 10000 values"), std::string::npos) << e;
}

TEST(ScenarioRobustness, LoadingAPlanStopsWhenAStopIsRequested) {
  std::string text = std::string(kBase) + "sweep:\n  producers.threads: [1, 2, 3]\n";
  StopFlag().store(true);
  EXPECT_THROW(LoadPlanFromText("s.yaml", text, {}), Interrupted);
  StopFlag().store(false);
  EXPECT_EQ(LoadPlanFromText("s.yaml", text, {}).cells.size(), 3u);
}

}  // namespace
}  // namespace sluice
