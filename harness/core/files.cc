#include "sluice/core/files.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "sluice/core/clock.h"
#include "sluice/core/scope_exit.h"
#include "sluice/core/stop.h"

namespace sluice {
namespace {

std::string Reason(const char* what, int error) { return std::string(what) + ": " + std::strerror(error); }

std::string TooLarge(uint64_t max_bytes) {
  return "more than " + std::to_string(max_bytes) + " bytes (the limit of an input)";
}

// Reads fd to its end, at most max_bytes. A stream is waited on with poll,
// a slice at a time, so that a stop request or the deadline ends the wait.
std::string ReadAll(int fd, bool stream, const InputLimits& limits) {
  const int64_t deadline = NowNs() + limits.stream_timeout_ns;
  std::string text;
  char buffer[64 << 10];
  while (true) {
    ThrowIfStopRequested();
    if (stream) {
      const int64_t left = deadline - NowNs();
      if (left <= 0) {
        throw FileError("the input did not end within " + std::to_string(limits.stream_timeout_ns / 1'000'000'000) +
                        " s (a stream must be closed by its writer)");
      }
      pollfd p{fd, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left / 1'000'000 + 1, 100)));
      if (ready < 0 && errno != EINTR) throw FileError(Reason("cannot wait for the input", errno));
      if (ready <= 0) continue;
    }
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) throw FileError(Reason("cannot read it", errno));
    if (n == 0) return text;
    if (text.size() + static_cast<size_t>(n) > limits.max_bytes) throw FileError(TooLarge(limits.max_bytes));
    text.append(buffer, static_cast<size_t>(n));
  }
}

}  // namespace

bool WriteAllBytes(int fd, std::string_view data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

std::string InputName(const std::string& path) { return path == "-" ? "<stdin>" : path; }

std::string ReadInput(const std::string& path, const InputLimits& limits) {
  const bool standard_input = path == "-";
  if (standard_input && !limits.streams) throw FileError("standard input is not accepted here: give a file");
  const int fd = standard_input ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw FileError(Reason("cannot open it", errno));
  ScopeExit close_it([fd, standard_input] {
    if (!standard_input) ::close(fd);
  });
  struct stat info {};
  if (::fstat(fd, &info) != 0) throw FileError(Reason("cannot read it", errno));
  const bool stream = S_ISFIFO(info.st_mode);
  if (!S_ISREG(info.st_mode) && !(stream && limits.streams)) {
    throw FileError(limits.streams ? "not a regular file, a FIFO or a pipe (a directory, device or socket)"
                                   : "not a regular file (a directory, FIFO or device)");
  }
  if (!stream && static_cast<uint64_t>(info.st_size) > limits.max_bytes) {
    throw FileError("the file has " + std::to_string(info.st_size) + " bytes; " + TooLarge(limits.max_bytes));
  }
  // Regular files in /proc report size 0 and may hold more: read to the end,
  // never past the limit.
  return ReadAll(fd, stream, limits);
}

void WriteFileAtomically(const std::string& path, std::string_view content) {
  const std::string temporary = path + ".tmp";
  auto fail = [&](const char* what, int error) {
    ::unlink(temporary.c_str());
    throw FileError("cannot " + std::string(what) + " " + path + ": " + std::strerror(error));
  };
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw FileError("cannot write " + path + " (as " + temporary + "): " + std::strerror(errno));
  }
  if (!WriteAllBytes(fd, content)) {
    const int error = errno;
    ::close(fd);
    fail("write", error);
  }
  // Durable before it becomes visible: after a crash the file under its
  // final name is complete, not empty.
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    fail("write", error);
  }
  if (::close(fd) != 0) fail("write", errno);
  if (::rename(temporary.c_str(), path.c_str()) != 0) fail("rename into place", errno);
}

}  // namespace sluice
