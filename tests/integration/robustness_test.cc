// The sluice executable against a careless or hostile user (issue 13):
// every command stops on SIGINT within a generous bound (a robustness bound,
// not a timing goal) with the right exit code and valid files, and bad
// input is refused with exit 2 instead of hanging, filling a disk or
// crashing.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "signal_wait.h"
#include "temp_dir.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Generous: the point is "stops", not "stops fast" (README has the goals).
constexpr auto kBound = std::chrono::seconds(10);

class TempDir : public sluice::test_support::TempDir {
 public:
  TempDir() : sluice::test_support::TempDir("sluice-robust") {}
};

// One run of the binary: its output goes to a file, its standard input is
// a pipe kept open (an endless, silent input) unless `stdin_text` is given.
class Process {
 public:
  Process(const std::vector<std::string>& args, const fs::path& output_file) {
    int in_pipe[2];
    if (pipe(in_pipe) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in_pipe[0], STDIN_FILENO);
      close(in_pipe[1]);
      int out = open(output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(out, STDOUT_FILENO);
      dup2(out, STDERR_FILENO);
      std::vector<char*> argv;
      std::string binary = SLUICE_BINARY;
      argv.push_back(binary.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    close(in_pipe[0]);
    stdin_ = in_pipe[1];
    output_ = output_file;
  }
  ~Process() {
    if (pid_ > 0 && !done_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdin_ >= 0) close(stdin_);
  }

  void Write(const std::string& text) {
    ssize_t n = write(stdin_, text.data(), text.size());
    (void)n;
  }
  void CloseInput() {
    close(stdin_);
    stdin_ = -1;
  }
  void Signal(int sig) { kill(pid_, sig); }

  // Waits until the process catches `sig` (signal_wait.h). False when it
  // never did in `bound`.
  bool WaitUntilCatching(int sig, std::chrono::milliseconds bound = kBound) {
    return sluice::test_support::WaitUntilCatching(pid_, sig, bound);
  }

  // The exit code, or -1 when it had not ended within `bound` (then killed)
  // or ended by a signal.
  int Wait(std::chrono::milliseconds bound = kBound) {
    auto deadline = Clock::now() + bound;
    int status = 0;
    while (true) {
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) break;
      if (Clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        done_ = true;
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    done_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string Output() const {
    std::ifstream in(output_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  bool done_ = false;
  fs::path output_;
};

std::string Scenarios(const std::string& name) {
  return std::string(SLUICE_SCENARIOS_DIR) + "/" + name;
}

// Checks a plain trace: every line whole JSON (starts with '{', ends with
// '}'), the file ends with a newline. Returns the number of lines.
size_t CheckWholeLines(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  if (text.empty()) return 0;
  EXPECT_EQ(text.back(), '\n');
  size_t lines = 0;
  std::istringstream s(text);
  for (std::string l; std::getline(s, l); ++lines) {
    if (l.empty() || l.front() != '{' || l.back() != '}') {
      ADD_FAILURE() << "line " << lines + 1 << " is not whole";
      break;
    }
  }
  return lines;
}

// Starts `args`, waits until it catches SIGINT and then `after`, sends
// SIGINT and returns the exit code (-1 when it did not stop within kBound).
int InterruptAfter(const std::vector<std::string>& args, std::chrono::milliseconds after,
                   const TempDir& dir, std::string* output = nullptr) {
  Process p(args, dir.path() / "output.txt");
  EXPECT_TRUE(p.WaitUntilCatching(SIGINT)) << p.Output();
  std::this_thread::sleep_for(after);
  p.Signal(SIGINT);
  int rc = p.Wait();
  if (output != nullptr) *output = p.Output();
  return rc;
}

// ---- every command is interruptible ------------------------------------------

TEST(Robustness, SynthOfABillionEventsStopsOnSigintWithAValidTrace) {
  TempDir dir;
  fs::path out = dir.path() / "t.jsonl";
  std::string output;
  int rc = InterruptAfter({"synth", Scenarios("bluesky-firehose.yaml"), "-o", out.string(),
                           "--events", "1000000000"},
                          std::chrono::milliseconds(700), dir, &output);
  EXPECT_EQ(rc, 3) << output;
  EXPECT_NE(output.find("interrupted after"), std::string::npos) << output;
  EXPECT_GT(CheckWholeLines(out), 0u);
}

TEST(Robustness, SynthGzipIsAFinishedStreamAfterSigint) {
  TempDir dir;
  fs::path out = dir.path() / "t.jsonl.gz";
  int rc = InterruptAfter({"synth", Scenarios("bluesky-firehose.yaml"), "-o", out.string(),
                           "--events", "1000000000"},
                          std::chrono::milliseconds(700), dir);
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(std::system(("gzip -t " + out.string()).c_str()), 0);
}

TEST(Robustness, ASecondSigintExitsAtOnceWithCode3AndWholeLines) {
  TempDir dir;
  fs::path out = dir.path() / "t.jsonl";
  Process p({"synth", Scenarios("bluesky-firehose.yaml"), "-o", out.string(), "--events",
             "1000000000"},
            dir.path() / "output.txt");
  ASSERT_TRUE(p.WaitUntilCatching(SIGINT)) << p.Output();
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  p.Signal(SIGINT);
  // Apart, or the kernel merges the two into one pending signal.
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  p.Signal(SIGINT);
  EXPECT_EQ(p.Wait(), 3) << p.Output();
  CheckWholeLines(out);
}

TEST(Robustness, ValidateOfALargeSweepStopsOnSigint) {
  TempDir dir;
  // 10,000 cells of 100 event types each, the types swept (so read for
  // every cell): tens of seconds of work.
  fs::path yaml = dir.path() / "big.yaml";
  {
    std::ofstream f(yaml);
    f << "name: big\nduration: 1s\nsource:\n  synthetic:\n    rate: 1k/s\n    events:\n";
    for (int i = 0; i < 100; ++i) {
      f << "      - { type: t" << i << ", weight: 1, size: { median: 100B, p99: 900B } }\n";
    }
    f << "sweep:\n  source.synthetic.events.0.weight: [";
    for (int i = 1; i <= 10000; ++i) f << (i > 1 ? ", " : "") << i;
    f << "]\n";
  }
  std::string output;
  auto start = Clock::now();
  int rc = InterruptAfter({"validate", yaml.string()}, std::chrono::milliseconds(300), dir,
                          &output);
  EXPECT_EQ(rc, 3) << output;
  EXPECT_NE(output.find("interrupted"), std::string::npos) << output;
  EXPECT_LT(Clock::now() - start, kBound);
}

TEST(Robustness, RecordStopsOnSigintWhileItsInputIsSilent) {
  TempDir dir;
  fs::path out = dir.path() / "r.jsonl";
  Process p({"record", "--format", "jsonl", "-o", out.string()}, dir.path() / "output.txt");
  p.Write("{\"time_us\":1}\n{\"time_us\":2}\n");
  ASSERT_TRUE(p.WaitUntilCatching(SIGINT)) << p.Output();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  p.Signal(SIGINT);
  // Ending a live recording with Ctrl-C is its normal end: exit 0.
  EXPECT_EQ(p.Wait(), 0) << p.Output();
  EXPECT_EQ(CheckWholeLines(out), 2u);
}

TEST(Robustness, BrokerStopsOnSigintAndLimitsPartitions) {
  TempDir dir;
  std::string output;
  EXPECT_EQ(InterruptAfter({"broker", "--brokers", "1", "--topic", "a:3"},
                           std::chrono::milliseconds(1000), dir, &output),
            0)
      << output;
  Process p({"broker", "--topic", "a:99999999"}, dir.path() / "o2.txt");
  EXPECT_EQ(p.Wait(), 2) << p.Output();
  EXPECT_NE(p.Output().find("at most 10000 partitions in all"), std::string::npos) << p.Output();
  Process q({"broker", "--topic", "a:6000", "--topic", "b:6000"}, dir.path() / "o3.txt");
  EXPECT_EQ(q.Wait(), 2) << q.Output();
  Process r({"broker", "--topic", "a:12x"}, dir.path() / "o4.txt");
  EXPECT_EQ(r.Wait(), 2) << r.Output();
}

TEST(Robustness, ReplayOfAnEndlessTraceStopsOnSigint) {
  TempDir dir;
  // A sparse 64 GiB file without a newline: endless to read, no disk used.
  fs::path trace = dir.path() / "zeros.jsonl";
  std::ofstream(trace).put('\0');
  fs::resize_file(trace, 64ull << 30);
  fs::path yaml = dir.path() / "z.yaml";
  std::ofstream(yaml) << "name: z\nduration: 1h\nbroker: { embedded: { brokers: 1 } }\n"
                         "source:\n  replay: { file: zeros.jsonl, time: time_us }\n";
  std::string output;
  int rc = InterruptAfter({"run", yaml.string(), "--quiet", "--results", dir.path().string()},
                          std::chrono::milliseconds(1500), dir, &output);
  EXPECT_NE(rc, -1) << "did not stop: " << output;
  EXPECT_NE(rc, 0) << output;
}

// ---- limits and strictness ---------------------------------------------------

TEST(Robustness, SynthEventCountsPastTheLimitAreRefused) {
  TempDir dir;
  fs::path out = dir.path() / "t.jsonl";
  for (const char* count : {"18446744073709551617", "18446744073709551616", "1000000001",
                            "99999999999999999999999", "-1", "0", "1e9", "12abc"}) {
    Process p({"synth", Scenarios("bluesky-firehose.yaml"), "-o", out.string(), "--events", count},
              dir.path() / "o.txt");
    EXPECT_EQ(p.Wait(), 2) << count << ": " << p.Output();
    EXPECT_NE(p.Output().find("--events"), std::string::npos) << p.Output();
  }
  EXPECT_FALSE(fs::exists(out));
}

TEST(Robustness, SynthRefusesAnOutputThatIsItsScenario) {
  TempDir dir;
  fs::path scenario = dir.path() / "s.yaml";
  fs::copy_file(Scenarios("bluesky-firehose.yaml"), scenario);
  auto before = fs::file_size(scenario);
  fs::create_symlink(scenario, dir.path() / "link");
  for (const fs::path& out : {scenario, dir.path() / "link", dir.path() / "." / "s.yaml"}) {
    Process p({"synth", scenario.string(), "-o", out.string(), "--events", "5"},
              dir.path() / "o.txt");
    EXPECT_EQ(p.Wait(), 2) << p.Output();
    EXPECT_NE(p.Output().find("is the scenario file itself"), std::string::npos) << p.Output();
  }
  EXPECT_EQ(fs::file_size(scenario), before);
}

TEST(Robustness, AnEmptyBootstrapIsRefused) {
  TempDir dir;
  Process p({"run", Scenarios("quickstart.yaml"), "--bootstrap", "", "--results",
             dir.path().string()},
            dir.path() / "o.txt");
  EXPECT_EQ(p.Wait(), 2) << p.Output();
  EXPECT_NE(p.Output().find("--bootstrap"), std::string::npos) << p.Output();
  EXPECT_TRUE(fs::is_empty(dir.path()) || !fs::exists(dir.path() / "quickstart"));
}

TEST(Robustness, NonRegularScenariosAreRefusedWithExit2) {
  TempDir dir;
  for (const std::string& path : {dir.path().string(), std::string("/proc/self/mem"),
                                  std::string("/dev/zero")}) {
    Process p({"validate", path}, dir.path() / "o.txt");
    EXPECT_EQ(p.Wait(), 2) << path << ": " << p.Output();
    EXPECT_NE(p.Output().find("sluice: error: " + path), std::string::npos) << p.Output();
  }
}

TEST(Robustness, CompareRefusesDevicesAndFifosWithExit2) {
  TempDir dir;
  const fs::path fifo = dir.path() / "report.csv";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // /dev/zero never ends and a FIFO with no writer never answers: both are
  // refused before a byte is read, as is a results folder holding either.
  for (const std::string& path : {std::string("/dev/zero"), fifo.string(), dir.path().string()}) {
    Process p({"compare", path, path}, dir.path() / "o.txt");
    EXPECT_EQ(p.Wait(), 2) << path << ": " << p.Output();
    EXPECT_NE(p.Output().find("not a regular file"), std::string::npos) << p.Output();
  }
}

TEST(Robustness, AFifoScenarioIsRefusedAndNotWaitedOn) {
  TempDir dir;
  fs::path fifo = dir.path() / "fifo.yaml";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // A writer that offers the scenario once, as `<(cat x.yaml)` would: the
  // command must not hang on the FIFO whether or not the writer gets in.
  std::atomic<bool> done{false};
  std::thread writer([&] {
    while (!done.load()) {
      int fd = open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
      if (fd >= 0) {
        std::string text = "name: f\nduration: 1s\nsource: { synthetic: { rate: 1k/s } }\n";
        ssize_t n = write(fd, text.data(), text.size());
        (void)n;
        close(fd);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  Process p({"validate", fifo.string()}, dir.path() / "o.txt");
  int rc = p.Wait();
  done.store(true);
  writer.join();
  EXPECT_EQ(rc, 2) << p.Output();
  EXPECT_NE(p.Output().find("not a regular file"), std::string::npos) << p.Output();
}

TEST(Robustness, DuplicateKeysSecondDocumentsAndBareRatesExit2WithTheLine) {
  TempDir dir;
  struct Case {
    std::string text, expected;
  };
  const std::string base = "name: s\nduration: 1s\nsource:\n  synthetic:\n    rate: 1k/s\n";
  for (const Case& c : {
           Case{base + "name: t\n", "s.yaml:6:1: name: duplicate key (first given on line 1)"},
           Case{base + "---\nname: t\n", "s.yaml:6: a second YAML document"},
           Case{"name: s\nduration: 1s\nsource:\n  synthetic:\n    rate: 1000\n",
                "s.yaml:5:11: source.synthetic.rate: expected a rate"},
       }) {
    std::ofstream(dir.path() / "s.yaml") << c.text;
    Process p({"validate", (dir.path() / "s.yaml").string()}, dir.path() / "o.txt");
    EXPECT_EQ(p.Wait(), 2) << p.Output();
    EXPECT_NE(p.Output().find(c.expected), std::string::npos) << p.Output();
  }
}

TEST(Robustness, AScenarioAboveTheSizeLimitIsRefusedAtOnce) {
  TempDir dir;
  fs::path yaml = dir.path() / "huge.yaml";
  {
    // 59 MB of event entries used 8.1 GB before being refused; now the
    // size alone refuses it.
    std::ofstream f(yaml);
    f << "name: h\nduration: 1s\nsource:\n  synthetic:\n    rate: 1k/s\n    events:\n";
    for (int i = 0; i < 1'200'000; ++i) f << "      - { type: t" << i << ", weight: 1 }\n";
  }
  Process p({"validate", yaml.string()}, dir.path() / "o.txt");
  EXPECT_EQ(p.Wait(), 2) << p.Output();
  EXPECT_NE(p.Output().find("a scenario may have at most 1048576"), std::string::npos)
      << p.Output();
}

TEST(Robustness, RecordSkipsALineLongerThanReplayReads) {
  TempDir dir;
  fs::path out = dir.path() / "r.jsonl";
  Process p({"record", "--format", "jsonl", "-o", out.string()}, dir.path() / "o.txt");
  std::thread feed([&] {
    p.Write("{\"time_us\":1,\"x\":\"");
    std::string chunk(1 << 20, 'a');
    for (int i = 0; i < 10; ++i) p.Write(chunk);  // 10 MiB on one line
    p.Write("\"}\n{\"time_us\":2}\n");
    p.CloseInput();
  });
  feed.join();
  EXPECT_EQ(p.Wait(), 0) << p.Output();
  EXPECT_NE(p.Output().find("1 skipped (longer than 4 MiB)"), std::string::npos) << p.Output();
  EXPECT_EQ(CheckWholeLines(out), 1u);
}

}  // namespace
