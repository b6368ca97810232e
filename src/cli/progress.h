// The progress line of `moldau produce` on a terminal: drawn on stderr only
// once a run has taken more than a second (small inputs never see it), at
// most five times a second, and erased before anything else is printed.
#pragma once

#include <cstdint>
#include <string>

#include "cli/connection.h"

namespace moldau::cli {

struct ProgressState {
  int64_t bytes_read = 0;
  int64_t total_bytes = -1;  // -1: unknown (a pipe)
  int64_t records = 0;       // read and handed to the producer
  double seconds = 0;
};

// One line, at most `width` columns. With a known total:
//   [#########>          ]  45%  12.3 MiB / 27.1 MiB  123,456 records  45,678/s
// otherwise:
//   123,456 records  12.3 MiB  45,678/s
std::string render_progress(const ProgressState& state, int width);

class ProgressBar {
 public:
  // `enabled` is false when stderr is not a terminal or --no-progress.
  ProgressBar(bool enabled, int64_t total_bytes);
  void update(int64_t bytes_read, int64_t records);
  // Erases the line (before other output, and at the end).
  void clear();

 private:
  bool enabled_;
  int64_t total_bytes_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_draw_{};
  bool shown_ = false;
};

}  // namespace moldau::cli
