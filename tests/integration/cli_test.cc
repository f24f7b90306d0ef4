// The sluice executable as a user runs it: exit codes, messages, files.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include "temp_dir.h"

namespace {

namespace fs = std::filesystem;

struct Outcome {
  int exit_code = -1;
  std::string out;  // stdout and stderr, together
};

Outcome Sluice(const std::string& args) {
  std::string command = std::string(SLUICE_BINARY) + " " + args + " 2>&1";
  Outcome o;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return o;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), pipe)) o.out.append(buf.data(), n);
  int status = pclose(pipe);
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return o;
}

std::string Data(const std::string& name) {
  return (fs::path(SLUICE_SCENARIOS_DIR).parent_path() / "tests" / "data" / name).string();
}

// The shared temporary folder (tests/temp_dir.h), named for this file.
class TempDir : public sluice::test_support::TempDir {
 public:
  TempDir() : sluice::test_support::TempDir("sluice-cli") {}
};

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Cli, ValidateAcceptsAGoodScenario) {
  Outcome o = Sluice("validate " + Data("tiny.yaml"));
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("OK"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("2 cells"), std::string::npos) << o.out;
}

TEST(Cli, ValidateRefusesABadKeyWithFileLineAndExit2) {
  Outcome o = Sluice("validate " + Data("bad-key.yaml"));
  EXPECT_EQ(o.exit_code, 2) << o.out;
  EXPECT_NE(o.out.find("bad-key.yaml:6:"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("queue.when_ful"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("did you mean 'when_full'"), std::string::npos) << o.out;
}

TEST(Cli, UsageErrorsExit2) {
  EXPECT_EQ(Sluice("").exit_code, 2);
  EXPECT_EQ(Sluice("frobnicate").exit_code, 2);
  EXPECT_EQ(Sluice("run").exit_code, 2);
  EXPECT_EQ(Sluice("run " + Data("tiny.yaml") + " --set producers.threads=0").exit_code, 2);
  EXPECT_EQ(Sluice("--help").exit_code, 0);
}

TEST(Cli, RunWritesACompleteResultsFolder) {
  TempDir dir;
  Outcome o = Sluice("run " + Data("tiny.yaml") + " --quiet --results " + dir.path().string());
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("embedded broker"), std::string::npos) << o.out;  // says what it is not
  std::vector<fs::path> folders;
  for (const auto& e : fs::directory_iterator(dir.path())) folders.push_back(e.path());
  ASSERT_EQ(folders.size(), 1u);
  const fs::path& run = folders[0];
  EXPECT_EQ(run.filename().string().rfind("tiny-", 0), 0u) << run;
  for (const char* f : {"report.csv", "report.json", "types.csv", "0-0.end_to_end.hgrm",
                        "0-0.queue_wait.hgrm", "0-0.kafka.hgrm", "1-0.end_to_end.hgrm"}) {
    EXPECT_TRUE(fs::exists(run / f)) << f;
  }
  for (const auto& e : fs::directory_iterator(run)) {
    EXPECT_NE(e.path().extension(), ".tmp") << e.path();
  }
  std::string csv = ReadFile(run / "report.csv");
  std::istringstream lines(csv);
  std::string header, row1, row2, extra;
  std::getline(lines, header);
  std::getline(lines, row1);
  std::getline(lines, row2);
  EXPECT_FALSE(std::getline(lines, extra) && !extra.empty());
  EXPECT_NE(header.find("producers.threads"), std::string::npos) << header;
  EXPECT_NE(header.find("latency.end_to_end.p99_ms"), std::string::npos) << header;
  EXPECT_FALSE(row1.empty());
  EXPECT_FALSE(row2.empty());
  std::string json = ReadFile(run / "report.json");
  EXPECT_NE(json.find("\"librdkafka_version\""), std::string::npos);
  EXPECT_NE(json.find("\"ledger_ok\": true"), std::string::npos) << json.substr(0, 2000);
  EXPECT_NE(json.find("\"partial\": false"), std::string::npos) << json.substr(json.size() - 200);
  EXPECT_FALSE(fs::exists(run / ".report.json.tmp"));
}

// Issue 13: a secret given with --set reaches no file and no console line.
TEST(Cli, ASecretOnTheCommandLineReachesNoOutput) {
  TempDir dir;
  constexpr char kSecret[] = "S3CRET-VALUE";
  Outcome o = Sluice("run " + Data("tiny.yaml") + " --quiet --set producers.kafka.sasl.password=" + kSecret +
                     " --results " + dir.path().string());
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.out.find(kSecret), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("sasl.password=[redacted]"), std::string::npos) << o.out;
  size_t files = 0;
  for (const auto& run : fs::directory_iterator(dir.path())) {
    for (const auto& e : fs::directory_iterator(run.path())) {
      ++files;
      EXPECT_EQ(ReadFile(e.path()).find(kSecret), std::string::npos) << e.path();
    }
  }
  EXPECT_GE(files, 5u);
}

// An interrupted run keeps the cells that ran: report.csv has their rows,
// report.json and the console say the report is partial, and compare
// refuses it unless --allow-partial.
TEST(Cli, AnInterruptedRunLeavesAPartialReport) {
  TempDir dir;
  const std::string command = std::string(SLUICE_BINARY) + " run " + Data("tiny.yaml") +
                              " --quiet --set duration=3s --results " + dir.path().string() +
                              " > " + (dir.path() / "out.txt").string() + " 2>&1";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Cell 0 takes about 3.2 s plus set-up; interrupt during cell 1.
  fs::path run;
  for (int i = 0; i < 300; ++i) {
    usleep(50'000);
    for (const auto& e : fs::directory_iterator(dir.path())) {
      if (e.is_directory()) run = e.path();
    }
    if (!run.empty() && fs::exists(run / "0-0.end_to_end.hgrm")) break;
  }
  ASSERT_TRUE(fs::exists(run / "0-0.end_to_end.hgrm")) << "cell 0 never finished";
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  const std::string out = ReadFile(dir.path() / "out.txt");
  EXPECT_NE(out.find("partial run: interrupted"), std::string::npos) << out;
  const std::string json = ReadFile(run / "report.json");
  EXPECT_NE(json.find("\"partial\": true"), std::string::npos) << json.substr(json.size() - 300);
  EXPECT_NE(json.find("\"partial_reason\": \"interrupted"), std::string::npos) << json.substr(json.size() - 300);
  std::istringstream csv(ReadFile(run / "report.csv"));
  int rows = 0;
  for (std::string line; std::getline(csv, line);) ++rows;
  EXPECT_GE(rows, 2);  // the header and cell 0 at least
  Outcome refused = Sluice("compare " + run.string() + " " + run.string());
  EXPECT_EQ(refused.exit_code, 2) << refused.out;
  EXPECT_NE(refused.out.find("a partial report"), std::string::npos) << refused.out;
  Outcome allowed = Sluice("compare " + run.string() + " " + run.string() + " --allow-partial --fail-if 'dropped > -1'");
  EXPECT_EQ(allowed.exit_code, 0) << allowed.out;
  EXPECT_NE(allowed.out.find("PARTIAL"), std::string::npos) << allowed.out;
}

TEST(Cli, AFailedExpectationExits6AndIsReported) {
  TempDir dir;
  Outcome o = Sluice("run " + Data("expect.yaml") + " --quiet --results " + dir.path().string());
  EXPECT_EQ(o.exit_code, 6) << o.out;
  EXPECT_NE(o.out.find("expectations: 2 held, 1 failed"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("FAILED cell 1 rep 0 producers.threads=2: delivered: expected > 100000, measured"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("expect.yaml:27:18"), std::string::npos) << o.out;
  std::vector<fs::path> folders;
  for (const auto& e : fs::directory_iterator(dir.path())) folders.push_back(e.path());
  ASSERT_EQ(folders.size(), 1u);
  const std::string csv = ReadFile(folders[0] / "expectations.csv");
  EXPECT_EQ(csv.rfind("scenario,cell,repetition,producers.threads,column,condition,expected,measured,passed,where\n", 0), 0u) << csv;
  EXPECT_NE(csv.find("expect,1,0,2,delivered,> 100000,> 100000,"), std::string::npos) << csv;
  const std::string json = ReadFile(folders[0] / "report.json");
  EXPECT_NE(json.find("\"passed\": false"), std::string::npos);
  EXPECT_NE(json.find("\"condition\": \"> 100000\""), std::string::npos);
}

TEST(Cli, NoExpectSkipsExpectations) {
  TempDir dir;
  Outcome o = Sluice("run " + Data("expect.yaml") + " --quiet --no-expect --results " +
                     dir.path().string());
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.out.find("expectations:"), std::string::npos) << o.out;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    EXPECT_FALSE(fs::exists(e.path() / "expectations.csv"));
    EXPECT_NE(ReadFile(e.path() / "report.json").find("\"expectations\": null"), std::string::npos);
  }
}

TEST(Cli, CompareExitCodes) {
  TempDir dir;
  ASSERT_EQ(Sluice("run " + Data("tiny.yaml") + " --quiet --results " + dir.path().string()).exit_code, 0);
  std::string run;
  for (const auto& e : fs::directory_iterator(dir.path())) run = e.path().string();
  Outcome o = Sluice("compare " + run + " " + run + "/report.csv");
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("producers.threads"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("+0.0%"), std::string::npos) << o.out;
  o = Sluice("compare " + run + " " + run + " --fail-if 'dropped >= 0'");
  EXPECT_EQ(o.exit_code, 5) << o.out;
  EXPECT_NE(o.out.find("gates tripped (2)"), std::string::npos) << o.out;
  o = Sluice("compare " + run + " " + Data("tiny.yaml"));
  EXPECT_EQ(o.exit_code, 2) << o.out;
  EXPECT_NE(o.out.find("tiny.yaml: "), std::string::npos) << o.out;
  EXPECT_EQ(Sluice("compare " + run).exit_code, 2);
}

TEST(Cli, UnwritableResultsRootExits4BeforeRunning) {
  Outcome o = Sluice("run " + Data("tiny.yaml") + " --quiet --results /proc/sluice-cannot-write");
  EXPECT_EQ(o.exit_code, 4) << o.out;
  EXPECT_NE(o.out.find("/proc/sluice-cannot-write"), std::string::npos) << o.out;
}

TEST(Cli, UnreachableBrokerExits3Quickly) {
  TempDir dir;
  Outcome o = Sluice("run " + Data("tiny.yaml") +
                     " --quiet --set broker.connect_timeout=1s --bootstrap 127.0.0.1:1 --results " +
                     dir.path().string());
  EXPECT_EQ(o.exit_code, 3) << o.out;
  EXPECT_NE(o.out.find("127.0.0.1:1"), std::string::npos) << o.out;
  EXPECT_TRUE(fs::is_empty(dir.path()));  // nothing half-written
}

TEST(Cli, BrokerCommandServesUntilSigterm) {
  std::string command = std::string(SLUICE_BINARY) + " broker --brokers 1 --topic t:2";
  int out_pipe[2];
  ASSERT_EQ(pipe(out_pipe), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    close(out_pipe[0]);
    execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out_pipe[1]);
  FILE* out = fdopen(out_pipe[0], "r");
  char line[256] = {0};
  ASSERT_NE(fgets(line, sizeof line, out), nullptr);
  EXPECT_NE(std::string(line).find("127.0.0.1:"), std::string::npos) << line;
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  fclose(out);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}


// ---- record and synth ---------------------------------------------------------

std::vector<std::string> GunzipLines(const fs::path& p) {
  FILE* pipe = popen(("gzip -dc " + p.string()).c_str(), "r");
  std::string text;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), pipe)) text.append(buf.data(), n);
  pclose(pipe);
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

TEST(Cli, RecordReadsAPipedSseStreamWithCommentsAndACutOffEnd) {
  TempDir dir;
  fs::path input = dir.path() / "stream.sse";
  std::ofstream(input) << ":ok\n\nevent: message\ndata: {\"type\":\"edit\",\"meta\":{\"dt\":"
                          "\"2026-09-17T03:42:33.778Z\"}}\n\n:\n\ndata: {\"type\":\"log\",\n"
                          "data: \"meta\":{\"dt\":\"2026-09-17T03:42:34Z\"}}\n\ndata: {\"type\":\"ne";
  fs::path out = dir.path() / "wiki.jsonl.gz";
  Outcome o = Sluice("record --format sse --time-field meta.dt -o " + out.string() + " < " +
                     input.string());
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("2 events written"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("1 cut off"), std::string::npos) << o.out;
  std::vector<std::string> lines = GunzipLines(out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1], R"({"type":"log", "meta":{"dt":"2026-09-17T03:42:34Z"}})");
}

TEST(Cli, RecordReadsPipedJsonLinesAndAddsArrivalTimes) {
  TempDir dir;
  fs::path out = dir.path() / "j.jsonl";
  Outcome o = Sluice("record --format jsonl -o " + out.string() +
                     " < /dev/null");  // an empty stream is a valid, empty trace
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_TRUE(fs::exists(out));
  EXPECT_EQ(fs::file_size(out), 0u);
  fs::path input = dir.path() / "in.jsonl";
  std::ofstream(input) << "{\"did\":\"did:plc:a\"}\nnot json\n{\"did\":\"did:plc:b\",\"time_us\":5}\n";
  o = Sluice("record --format jsonl -o " + out.string() + " < " + input.string());
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("1 skipped"), std::string::npos) << o.out;
  std::string text = ReadFile(out);
  EXPECT_EQ(text.rfind("{\"time_us\":", 0), 0u) << text;
  EXPECT_NE(text.find("{\"did\":\"did:plc:b\",\"time_us\":5}\n"), std::string::npos) << text;
  EXPECT_EQ(Sluice("record --format xml -o " + out.string() + " < /dev/null").exit_code, 2);
  EXPECT_EQ(Sluice("record --format sse < /dev/null").exit_code, 2);  // -o is required
  EXPECT_EQ(Sluice("record --format sse -o /proc/sluice-no.jsonl < /dev/null").exit_code, 4);
}

TEST(Cli, SynthWritesTheSameReplayableTraceForTheSameSeed) {
  TempDir dir;
  fs::path a = dir.path() / "a.jsonl.gz", b = dir.path() / "b.jsonl.gz";
  std::string scenario = std::string(SLUICE_SCENARIOS_DIR) + "/bluesky-firehose.yaml";
  Outcome o = Sluice("synth " + scenario + " -o " + a.string() + " --events 300");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  ASSERT_EQ(Sluice("synth " + scenario + " -o " + b.string() + " --events 300").exit_code, 0);
  std::vector<std::string> la = GunzipLines(a), lb = GunzipLines(b);
  ASSERT_EQ(la.size(), 300u);
  EXPECT_EQ(la, lb);
  ASSERT_EQ(Sluice("synth " + scenario + " -o " + b.string() + " --events 300 --set seed=43").exit_code, 0);
  EXPECT_NE(la, GunzipLines(b));
  // It replays: a scenario pointing at it validates and runs.
  fs::path yaml = dir.path() / "r.yaml";
  std::ofstream(yaml) << "name: r\nduration: 1s\nbroker: { embedded: { brokers: 1 } }\n"
                         "source:\n  replay: { file: a.jsonl.gz, time: time_us, type: commit.operation, "
                         "speed: max, loop: 2 }\n";
  o = Sluice("run " + yaml.string() + " --quiet --results " + dir.path().string());
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("600 lines, 2 passes completed, 0 bad"), std::string::npos) << o.out;
  // A text payload is not a trace; a bad count is a usage error.
  EXPECT_EQ(Sluice("synth " + Data("tiny.yaml") + " -o " + a.string() + " --events 3").exit_code, 2);
  EXPECT_EQ(Sluice("synth " + scenario + " -o " + a.string() + " --events 0").exit_code, 2);
}

}  // namespace
