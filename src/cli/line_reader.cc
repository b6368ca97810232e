#include "cli/line_reader.h"

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "cli/interrupt.h"

namespace moldau::cli {

namespace {
constexpr size_t kReadChunk = 256 * 1024;
constexpr auto kInterruptPoll = std::chrono::milliseconds(100);
}  // namespace

LineReader::LineReader(int fd, size_t max_line_bytes) : fd_(fd), max_line_(max_line_bytes) {
  struct stat st {};
  regular_file_ = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  buf_.resize(kReadChunk);
}

LineReader::Next LineReader::next(std::string_view* line,
                                  std::optional<Clock::time_point> deadline) {
  while (true) {
    const char* start = buf_.data() + begin_;
    size_t avail = end_ - begin_;
    if (const void* nl = std::memchr(start, '\n', avail)) {
      size_t len = size_t(static_cast<const char*>(nl) - start);
      if (len > max_line_) return Next::kTooLong;
      *line = std::string_view(start, len);
      begin_ += len + 1;
      consumed_ += int64_t(len + 1);
      return Next::kLine;
    }
    if (avail > max_line_) return Next::kTooLong;
    if (eof_) {
      if (avail == 0) return Next::kEnd;
      *line = std::string_view(start, avail);
      begin_ = end_;
      consumed_ += int64_t(avail);
      return Next::kLine;
    }
    Next why;
    if (!fill(deadline, &why)) return why;
  }
}

// Reads more bytes after the ones kept; false with *why set when none came.
bool LineReader::fill(std::optional<Clock::time_point> deadline, Next* why) {
  // Keep the partial line at the front and make room for a chunk after it.
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buf_.size() - end_ < kReadChunk) buf_.resize(end_ + kReadChunk);
  // A pipe or terminal is polled in short slices, so that Ctrl-C is seen
  // even when it arrived just before a blocking read would have started.
  while (!regular_file_) {
    if (interrupted()) {
      *why = Next::kInterrupted;
      return false;
    }
    auto slice = kInterruptPoll;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
      if (left.count() <= 0) left = std::chrono::milliseconds(0);
      slice = std::min(slice, left);
    }
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, int(slice.count()));
    if (rc > 0) break;
    if (rc < 0 && errno != EINTR) {
      errno_ = errno;
      *why = Next::kError;
      return false;
    }
    if (deadline && Clock::now() >= *deadline) {
      *why = Next::kTimeout;
      return false;
    }
  }
  ssize_t n = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
  if (n < 0) {
    errno_ = errno;
    if (errno == EINTR) {
      *why = interrupted() ? Next::kInterrupted : Next::kTimeout;
      return false;
    }
    *why = Next::kError;
    return false;
  }
  if (n == 0) eof_ = true;
  end_ += size_t(n);
  return true;
}

}  // namespace moldau::cli
