// The environment of a run, and the redaction of what reports quote from
// the command line.
#include <unistd.h>

#include <ctime>
#include <sstream>
#include <thread>

#include "sluice/core/redact.h"
#include "sluice/report/reporter.h"
#include "sluice_git_revision.h"  // generated at build time (cmake/git_revision.cmake)

namespace sluice {

Environment DetectEnvironment(const std::string& command_line) {
  Environment env;
  env.cores = static_cast<int>(std::thread::hardware_concurrency());
  env.git_revision = SLUICE_GIT_REVISION;
  if (env.git_revision.empty()) env.git_revision = "unknown";
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) env.hostname = host;
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  if (gmtime_r(&now, &utc) != nullptr) {
    char buf[32];
    if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc) > 0) env.started_utc = buf;
  }
  env.command_line = command_line;
  return env;
}

std::string RedactOverride(const std::string& pair) {
  const size_t eq = pair.find('=');
  if (eq == std::string::npos) return pair;
  const std::string key = pair.substr(0, eq);
  return key + "=" + RedactValue(key, pair.substr(eq + 1));
}

std::string RedactCommandLine(const std::string& command_line) {
  // Word by word, keeping the spaces: a "key=value" word whose key is a
  // secret loses its value.
  std::string out;
  size_t i = 0;
  while (i < command_line.size()) {
    const size_t end = command_line.find(' ', i);
    const std::string word = command_line.substr(i, end == std::string::npos ? std::string::npos : end - i);
    out += RedactOverride(word);
    if (end == std::string::npos) break;
    out += ' ';
    i = end + 1;
  }
  return out;
}

}  // namespace sluice
