#include "cli/progress.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "cli/output.h"

namespace moldau::cli {

namespace {

constexpr auto kShowAfter = std::chrono::seconds(1);
constexpr auto kRedrawEvery = std::chrono::milliseconds(200);

int terminal_width() {
  winsize ws{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

}  // namespace

std::string render_progress(const ProgressState& s, int width) {
  int64_t rate = s.seconds > 0 ? int64_t(double(s.records) / s.seconds) : 0;
  std::string counts = fmt::format("{} records  {}/s", group_digits(s.records), group_digits(rate));
  std::string line;
  if (s.total_bytes > 0) {
    double done = std::clamp(double(s.bytes_read) / double(s.total_bytes), 0.0, 1.0);
    std::string tail = fmt::format("{:3d}%  {} / {}  {}", int(done * 100), format_bytes(s.bytes_read),
                                   format_bytes(s.total_bytes), counts);
    int bar = std::min(40, width - int(tail.size()) - 4);
    if (bar >= 10) {
      int filled = int(done * bar);
      std::string b(size_t(bar), ' ');
      for (int i = 0; i < filled; ++i) b[size_t(i)] = '#';
      if (filled < bar) b[size_t(filled)] = '>';
      line = fmt::format("[{}]  {}", b, tail);
    } else {
      line = tail;
    }
  } else {
    line = fmt::format("{} records  {}  {}/s", group_digits(s.records), format_bytes(s.bytes_read),
                       group_digits(rate));
  }
  if (width > 0 && int(line.size()) > width) line.resize(size_t(width));
  return line;
}

ProgressBar::ProgressBar(bool enabled, int64_t total_bytes)
    : enabled_(enabled), total_bytes_(total_bytes) {}

void ProgressBar::update(int64_t bytes_read, int64_t records) {
  if (!enabled_) return;
  auto now = Clock::now();
  if (now - start_ < kShowAfter || now - last_draw_ < kRedrawEvery) return;
  last_draw_ = now;
  ProgressState s;
  s.bytes_read = bytes_read;
  s.total_bytes = total_bytes_;
  s.records = records;
  s.seconds = std::chrono::duration<double>(now - start_).count();
  // Leave the last column free: some terminals wrap when it is written.
  std::string line = render_progress(s, terminal_width() - 1);
  fmt::print(stderr, "\r{}\x1b[K", line);
  std::fflush(stderr);
  shown_ = true;
}

void ProgressBar::clear() {
  if (!shown_) return;
  fmt::print(stderr, "\r\x1b[K");
  std::fflush(stderr);
  shown_ = false;
  last_draw_ = {};
}

}  // namespace moldau::cli
