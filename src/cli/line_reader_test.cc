#include "cli/line_reader.h"

#include "cli/interrupt.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace moldau::cli {
namespace {

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    if (r >= 0) ::close(r);
    close_write();
  }
  void write(std::string_view s) { ASSERT_EQ(::write(w, s.data(), s.size()), ssize_t(s.size())); }
  void close_write() {
    if (w >= 0) ::close(w);
    w = -1;
  }
};

std::vector<std::string> all_lines(std::string_view input, size_t max = 1024) {
  Pipe p;
  // A pipe holds 64 KiB: a writer thread, so inputs larger than that work.
  std::thread writer([&] {
    p.write(input);
    p.close_write();
  });
  LineReader reader(p.r, max);
  std::vector<std::string> lines;
  std::string_view line;
  LineReader::Next n;
  while ((n = reader.next(&line)) == LineReader::Next::kLine) lines.emplace_back(line);
  EXPECT_EQ(n, LineReader::Next::kEnd);
  EXPECT_EQ(reader.bytes_consumed(), int64_t(input.size()));
  writer.join();
  return lines;
}

TEST(LineReader, SplitsAtNewlines) {
  EXPECT_EQ(all_lines("a\nbb\n\nccc\n"), (std::vector<std::string>{"a", "bb", "", "ccc"}));
  EXPECT_EQ(all_lines("no newline"), std::vector<std::string>{"no newline"});
  EXPECT_EQ(all_lines(""), std::vector<std::string>{});
  EXPECT_EQ(all_lines("\n"), std::vector<std::string>{""});
  EXPECT_EQ(all_lines("a\r\n"), std::vector<std::string>{"a\r"});  // bytes are kept as they are
}

TEST(LineReader, LinesLongerThanAReadChunk) {
  std::string big(700 * 1024, 'x');
  auto lines = all_lines(big + "\nend\n", 1 << 20);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], big);
  EXPECT_EQ(lines[1], "end");
}

TEST(LineReader, TooLongLineIsReported) {
  Pipe p;
  p.write("short\n0123456789abcdef\n");
  p.close_write();
  LineReader reader(p.r, 8);
  std::string_view line;
  EXPECT_EQ(reader.next(&line), LineReader::Next::kLine);
  EXPECT_EQ(line, "short");
  EXPECT_EQ(reader.next(&line), LineReader::Next::kTooLong);
}

TEST(LineReader, DeadlineEndsAWaitOnAQuietPipe) {
  Pipe p;
  p.write("first\npart");
  LineReader reader(p.r, 1024);
  std::string_view line;
  ASSERT_EQ(reader.next(&line, Clock::now() + std::chrono::milliseconds(50)), LineReader::Next::kLine);
  EXPECT_EQ(line, "first");
  auto start = Clock::now();
  EXPECT_EQ(reader.next(&line, Clock::now() + std::chrono::milliseconds(50)),
            LineReader::Next::kTimeout);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(40));
  p.write("ial\n");
  ASSERT_EQ(reader.next(&line, Clock::now() + std::chrono::milliseconds(1000)),
            LineReader::Next::kLine);
  EXPECT_EQ(line, "partial");
}

TEST(LineReader, InterruptEndsAWaitOnAQuietPipe) {
  Pipe p;
  LineReader reader(p.r, 1024);
  std::string_view line;
  set_interrupted_for_test(true);
  EXPECT_EQ(reader.next(&line), LineReader::Next::kInterrupted);
  set_interrupted_for_test(false);
  EXPECT_EQ(reader.next(&line, Clock::now() + std::chrono::milliseconds(10)),
            LineReader::Next::kTimeout);
}

}  // namespace
}  // namespace moldau::cli
