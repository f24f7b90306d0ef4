// `sluice plot` and `sluice run --plot` as a user runs them: exit codes,
// messages, the page written. (The page in a browser: tests/browser/.)
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "temp_dir.h"

namespace {

namespace fs = std::filesystem;

struct Outcome {
  int exit_code = -1;
  std::string out;  // stdout and stderr, together
};

Outcome Sluice(const std::string& args) {
  const std::string command = std::string(SLUICE_BINARY) + " " + args + " 2>&1";
  Outcome o;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return o;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), pipe)) o.out.append(buf.data(), n);
  const int status = pclose(pipe);
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return o;
}

class TempDir : public sluice::test_support::TempDir {
 public:
  TempDir() : sluice::test_support::TempDir("sluice-plot-cli") {}
};

std::string Data(const std::string& name) {
  return (fs::path(SLUICE_SCENARIOS_DIR).parent_path() / "tests" / "data" / name).string();
}

TEST(PlotCli, RunWithPlotWritesThePageAndPlotRedrawsIt) {
  TempDir dir;
  Outcome run = Sluice("run " + Data("tiny.yaml") + " --quiet --plot --results " + dir.path().string());
  ASSERT_EQ(run.exit_code, 0) << run.out;
  fs::path folder;
  for (const auto& entry : fs::directory_iterator(dir.path())) folder = entry.path();
  const fs::path page = folder / "report.html";
  ASSERT_TRUE(fs::exists(page)) << run.out;
  EXPECT_NE(run.out.find(page.string()), std::string::npos) << run.out;
  std::ifstream in(page);
  std::stringstream html;
  html << in.rdbuf();
  // Labelled by the swept values (tiny.yaml sweeps producers.threads).
  EXPECT_NE(html.str().find("\"label\":\"producers.threads=2\""), std::string::npos);

  fs::remove(page);
  Outcome plot = Sluice("plot " + folder.string() + " -o " + (dir.path() / "out").string());
  ASSERT_EQ(plot.exit_code, 0) << plot.out;
  EXPECT_TRUE(fs::exists(dir.path() / "out" / "report.html"));
  EXPECT_FALSE(fs::exists(page));
}

TEST(PlotCli, NotAResultsFolderExits2WithAClearMessage) {
  TempDir dir;
  Outcome o = Sluice("plot " + dir.path().string());
  EXPECT_EQ(o.exit_code, 2) << o.out;
  EXPECT_NE(o.out.find("no report.csv in this folder: not a sluice results folder"), std::string::npos)
      << o.out;
  EXPECT_EQ(Sluice("plot").exit_code, 2);
  EXPECT_EQ(Sluice("plot " + (dir.path() / "missing").string()).exit_code, 2);
}

}  // namespace
