#include "sluice/pipeline/trace_io.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <system_error>

#include "sluice/core/stop.h"

namespace sluice {

bool IsGzipPath(const std::string& path) {
  return path.size() >= 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
}

uint64_t FreeBytesNear(const std::string& path) {
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = ".";
  struct statvfs fs {};
  if (::statvfs(path.c_str(), &fs) != 0 && ::statvfs(folder.c_str(), &fs) != 0) {
    return std::numeric_limits<uint64_t>::max();
  }
  return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

bool SameFile(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  if (::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0) {
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  }
  std::error_code ea, eb;
  auto ca = std::filesystem::weakly_canonical(a, ea);
  auto cb = std::filesystem::weakly_canonical(b, eb);
  return !ea && !eb && ca == cb;
}

namespace {
gzFile Gz(void* p) { return static_cast<gzFile>(p); }

std::string GzError(void* gz) {
  int code = 0;
  const char* text = gzerror(Gz(gz), &code);
  if (code == Z_ERRNO) return std::strerror(errno);
  return text != nullptr ? text : "unknown zlib error";
}
}  // namespace

// ------------------------------------------------------------------ reader

TraceReader::TraceReader(const std::string& path, size_t buffer_bytes)
    : path_(path), buffer_(buffer_bytes < 4096 ? 4096 : buffer_bytes) {
  gz_ = gzopen(path.c_str(), "rb");
  if (gz_ == nullptr) {
    throw TraceError(path + ": cannot open: " + std::strerror(errno != 0 ? errno : ENOENT));
  }
  gzbuffer(Gz(gz_), 128 << 10);
}

TraceReader::~TraceReader() {
  if (gz_ != nullptr) gzclose(Gz(gz_));
}

bool TraceReader::Fill() {
  if (eof_) return false;
  int n = gzread(Gz(gz_), buffer_.data(), static_cast<unsigned>(buffer_.size()));
  if (n < 0) {
    int code = 0;
    gzerror(Gz(gz_), &code);
    // Z_BUF_ERROR: the compressed stream ends early (a recording that was
    // killed). What was decompressed so far has been returned already.
    if (code == Z_BUF_ERROR) {
      truncated_ = true;
      eof_ = true;
      return false;
    }
    throw TraceError(path_ + ": read error: " + GzError(gz_));
  }
  if (n == 0) {
    int code = 0;
    gzerror(Gz(gz_), &code);
    if (code == Z_BUF_ERROR) truncated_ = true;
    eof_ = true;
    return false;
  }
  pos_ = 0;
  end_ = static_cast<size_t>(n);
  return true;
}

TraceReader::Status TraceReader::Next(std::string* line) {
  line->clear();
  bool any = false;
  bool too_long = false;
  while (true) {
    if (pos_ == end_) {
      // Checked once per buffer: an endless line (/dev/zero) ends too, and
      // what was read of it is dropped, not returned as a line.
      if (StopRequested()) {
        line->clear();
        return Status::kEnd;
      }
      if (!Fill()) break;
    }
    any = true;
    const char* start = buffer_.data() + pos_;
    const char* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - pos_));
    size_t take = nl != nullptr ? static_cast<size_t>(nl - start) : end_ - pos_;
    if (!too_long) {
      size_t room = kMaxLineBytes - line->size();
      if (take > room) {
        line->append(start, room);
        too_long = true;
      } else {
        line->append(start, take);
      }
    }
    pos_ += take;
    if (nl != nullptr) {
      ++pos_;  // the newline
      break;
    }
  }
  if (!any) return Status::kEnd;
  ++line_number_;
  if (!too_long && !line->empty() && line->back() == '\r') line->pop_back();
  return too_long ? Status::kTooLong : Status::kLine;
}

void TraceReader::Rewind() {
  if (gzrewind(Gz(gz_)) != 0) throw TraceError(path_ + ": cannot rewind: " + GzError(gz_));
  pos_ = end_ = 0;
  eof_ = false;
  truncated_ = false;
  line_number_ = 0;
}

// ------------------------------------------------------------------ writer

TraceWriter::TraceWriter(const std::string& path) : path_(path) {
  if (IsGzipPath(path)) {
    gz_ = gzopen(path.c_str(), "wb6");
    if (gz_ == nullptr) throw TraceError(path + ": cannot create: " + std::strerror(errno));
    gzbuffer(Gz(gz_), 128 << 10);
  } else {
    file_ = std::fopen(path.c_str(), "wb");
    if (file_ == nullptr) throw TraceError(path + ": cannot create: " + std::strerror(errno));
    // A buffer of ours: glibc ignores the size when given none.
    plain_buffer_ = std::make_unique<char[]>(kPlainBufferBytes);
    std::setvbuf(file_, plain_buffer_.get(), _IOFBF, kPlainBufferBytes);
  }
}

TraceWriter::~TraceWriter() {
  try {
    Close();
  } catch (const TraceError&) {
    // Destructors must not throw; Close() reports errors to callers that ask.
  }
}

void TraceWriter::WriteLine(std::string_view line) {
  if (gz_ != nullptr) {
    if ((!line.empty() && gzwrite(Gz(gz_), line.data(), static_cast<unsigned>(line.size())) == 0) ||
        gzputc(Gz(gz_), '\n') < 0) {
      throw TraceError(path_ + ": write error: " + GzError(gz_));
    }
  } else if (file_ != nullptr) {
    // Flushed only between lines, so that a process killed at any moment
    // leaves whole lines on disk (stdio would cut one at its buffer's end).
    if (buffered_ + line.size() + 1 > kPlainBufferBytes && buffered_ > 0) {
      if (std::fflush(file_) != 0) throw TraceError(path_ + ": write error: " + std::strerror(errno));
      buffered_ = 0;
    }
    buffered_ += line.size() + 1;
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() ||
        std::fputc('\n', file_) == EOF) {
      throw TraceError(path_ + ": write error: " + std::strerror(errno));
    }
  } else {
    throw TraceError(path_ + ": written after close");
  }
}

void TraceWriter::Flush() {
  if (gz_ != nullptr && gzflush(Gz(gz_), Z_SYNC_FLUSH) != Z_OK) {
    throw TraceError(path_ + ": write error: " + GzError(gz_));
  }
  if (file_ != nullptr && std::fflush(file_) != 0) {
    throw TraceError(path_ + ": write error: " + std::strerror(errno));
  }
  buffered_ = 0;
}

void TraceWriter::Close() {
  if (gz_ != nullptr) {
    int rc = gzclose(Gz(gz_));
    gz_ = nullptr;
    if (rc != Z_OK) throw TraceError(path_ + ": write error on close (zlib " + std::to_string(rc) + ")");
  }
  if (file_ != nullptr) {
    int rc = std::fclose(file_);
    file_ = nullptr;
    if (rc != 0) throw TraceError(path_ + ": write error on close: " + std::strerror(errno));
  }
}

}  // namespace sluice
