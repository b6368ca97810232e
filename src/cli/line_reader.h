// Lines from a file descriptor for `moldau produce`: the fd is read in large
// chunks, and a wait for more input can end at a deadline so the producer
// can send lingering batches while a pipe or a terminal is quiet.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "cli/connection.h"

namespace moldau::cli {

class LineReader {
 public:
  enum class Next {
    kLine,         // *line holds one line, without its '\n'
    kEnd,          // end of input
    kTimeout,      // the deadline passed before a whole line arrived
    kInterrupted,  // SIGINT arrived (interrupt.h)
    kTooLong,      // a line longer than max_line_bytes
    kError,        // read(2) failed; errno_value() says why
  };

  // Does not own `fd`. Lines may be at most max_line_bytes long.
  LineReader(int fd, size_t max_line_bytes);

  // The next line. It stays valid until the next call. A last line without a
  // trailing '\n' is a line; an input that ends with '\n' has no empty line
  // after it.
  Next next(std::string_view* line, std::optional<Clock::time_point> deadline = std::nullopt);

  int64_t bytes_consumed() const { return consumed_; }
  int errno_value() const { return errno_; }

 private:
  bool fill(std::optional<Clock::time_point> deadline, Next* why);

  int fd_;
  size_t max_line_;
  bool regular_file_ = false;
  bool eof_ = false;
  std::vector<char> buf_;
  size_t begin_ = 0, end_ = 0;
  int64_t consumed_ = 0;
  int errno_ = 0;
};

}  // namespace moldau::cli
