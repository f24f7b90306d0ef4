// Whole-file input and output that every layer shares: reading an input of
// bounded size once (a regular file, or a stream such as standard input or
// a shell's <(...) pipe), and writing a file so that it appears complete or
// not at all.
//
// Thread-safety: the functions hold no state; two calls on one path race as
// the file system does. They throw FileError on failure and Interrupted
// (core/stop.h) when a stop is requested while they wait for a stream.
#ifndef SLUICE_CORE_FILES_H_
#define SLUICE_CORE_FILES_H_

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sluice {

// What went wrong, in words that follow a file's name ("not a regular file
// ...", "cannot write ...: No space left on device"). The path is not part
// of the message: each caller names the input its own way (scenario errors
// as file:line:column).
class FileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct InputLimits {
  uint64_t max_bytes = 1u << 20;
  // A stream must end within this time, from the start of the read.
  int64_t stream_timeout_ns = 10'000'000'000;
  // Accept "-" (standard input), FIFOs and pipes; without, only regular files.
  bool streams = true;
};

// The name of an input in messages: "<stdin>" for "-", else the path.
std::string InputName(const std::string& path);

// Reads the whole input once: a regular file, or with limits.streams "-"
// (standard input), a FIFO or a pipe (/dev/fd/N). A FIFO is opened without
// blocking, so a writer that never comes ends in the time-out, not a hang.
// Directories, devices (a terminal too) and sockets are refused, as is
// anything larger than limits.max_bytes.
std::string ReadInput(const std::string& path, const InputLimits& limits);

// Writes all of `data` to the file descriptor, resuming after EINTR and
// short writes; false with errno set on failure.
bool WriteAllBytes(int fd, std::string_view data);

// Writes `content` to `path` through `path`.tmp, flushed to the disk, then
// renamed over `path`: a reader sees the old file or the whole new one. On
// failure the temporary file is removed and FileError says
// "cannot write PATH: reason".
void WriteFileAtomically(const std::string& path, std::string_view content);

}  // namespace sluice

#endif  // SLUICE_CORE_FILES_H_
