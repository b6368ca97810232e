// `moldau produce TOPIC`: lines of stdin or a file become records
// (docs/cli.md, "produce").
#include "cli/produce_cmd.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "cli/commands.h"
#include "cli/explain.h"
#include "cli/interrupt.h"
#include "cli/line_reader.h"
#include "cli/progress.h"
#include "cli/report.h"

namespace moldau::cli {

namespace {

// A record is at most this long (Kafka's message.max.bytes is 1 MiB by
// default; a broker configured for more still gets lines this long).
constexpr size_t kMaxLineBytes = size_t(64) << 20;
// While requests are in flight, wait at most this long for input before
// reading their answers, so errors show up while a terminal is quiet.
constexpr auto kAnswerPoll = std::chrono::milliseconds(100);

Result<protocol::Compression> compression_of(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), ::tolower);
  if (name == "none") return protocol::Compression::kNone;
  if (name == "gzip") return protocol::Compression::kGzip;
  if (name == "snappy") return protocol::Compression::kSnappy;
  if (name == "lz4") return protocol::Compression::kLz4;
  if (name == "zstd") return protocol::Compression::kZstd;
  return Error{ErrorCode::kInvalidRequest, fmt::format("unknown --compression {}", name)};
}

ByteSpan span_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int64_t ProduceSummary::records_ok() const {
  int64_t n = 0;
  for (const auto& [p, o] : partitions) n += o.records_ok;
  return n;
}
int64_t ProduceSummary::records_failed() const {
  int64_t n = 0;
  for (const auto& [p, o] : partitions) n += o.records_failed;
  return n;
}
int64_t ProduceSummary::bytes_ok() const {
  int64_t n = 0;
  for (const auto& [p, o] : partitions) n += o.bytes_ok;
  return n;
}

std::string render_produce_summary(const ProduceSummary& s) {
  if (s.records_read == 0)
    return s.interrupted ? "Interrupted before any input: nothing produced.\n"
                         : "No input: nothing produced.\n";
  std::vector<int32_t> written;
  for (const auto& [p, o] : s.partitions)
    if (o.records_ok > 0) written.push_back(p);
  int64_t ok = s.records_ok(), failed = s.records_failed(), unconfirmed = s.records_unconfirmed();
  double secs = std::max(s.seconds, 1e-6);
  std::string count = ok == s.records_read
                          ? fmt::format("{} record{}", group_digits(ok), ok == 1 ? "" : "s")
                          : fmt::format("{} of {} records", group_digits(ok), group_digits(s.records_read));
  std::string out = fmt::format(
      "{}{} {} ({}) to {} ({} {}) in {:.2f} s: {} records/s, {}/s", s.interrupted ? "Interrupted. " : "",
      s.acks_none ? "Sent" : "Produced", count, format_bytes(s.bytes_ok()), s.topic,
      written.size() == 1 ? "partition" : "partitions", id_ranges(written), s.seconds,
      group_digits(int64_t(double(ok) / secs)), format_bytes(int64_t(double(s.bytes_ok()) / secs)));
  if (failed > 0) out += fmt::format("; {} failed", group_digits(failed));
  if (unconfirmed > 0) out += fmt::format("; {} not confirmed", group_digits(unconfirmed));
  if (s.acks_none) out += " (acks=0: the broker does not confirm writes)";
  return out + ".\n";
}

Json produce_summary_json(const ProduceSummary& s) {
  Json j = Json::object();
  double secs = std::max(s.seconds, 1e-6);
  j.set("topic", s.topic);
  j.set("records", s.records_ok());
  j.set("failed", s.records_failed());
  j.set("unconfirmed", s.records_unconfirmed());
  j.set("bytes", s.bytes_ok());
  j.set("seconds", s.seconds);
  j.set("records_per_second", int64_t(double(s.records_ok()) / secs));
  j.set("bytes_per_second", int64_t(double(s.bytes_ok()) / secs));
  j.set("acks_none", s.acks_none);
  j.set("interrupted", s.interrupted);
  Json parts = Json::array();
  for (const auto& [p, o] : s.partitions) {
    Json po = Json::object();
    po.set("partition", p);
    po.set("records", o.records_ok);
    po.set("failed", o.records_failed);
    po.set("first_offset", o.first_offset >= 0 ? Json(o.first_offset) : Json());
    po.set("last_offset", o.last_offset >= 0 ? Json(o.last_offset) : Json());
    po.set("error", o.error == ErrorCode::kNone ? Json() : Json(error_name(o.error)));
    po.set("error_message", o.error == ErrorCode::kNone ? Json() : Json(o.error_message));
    parts.push(std::move(po));
  }
  j.set("partitions", std::move(parts));
  return j;
}

namespace {

// The command after its arguments are checked and the input is open.
struct ProduceRun {
  const ProduceOptions& o;
  Producer& producer;
  ProgressBar& progress;
  std::vector<protocol::RecordHeader> headers;
  ProduceSummary summary;

  void print_new_errors() {
    auto errors = producer.take_new_errors();
    if (errors.empty()) return;
    progress.clear();
    for (const auto& e : errors) print_error(e);
  }

  // Sends one line as a record.
  Status add(std::string_view line) {
    std::optional<ByteSpan> key;
    std::string_view value = line;
    if (o.key_separator) {
      size_t at = line.find(*o.key_separator);
      if (at != std::string_view::npos) {
        key = span_of(line.substr(0, at));
        value = line.substr(at + o.key_separator->size());
      }
    }
    ++summary.records_read;
    return producer.add(o.partition, key, span_of(value), headers, now_ms());
  }

  // Reads every line; returns the exit code when input ends or fails.
  int read_all(LineReader& reader) {
    std::string_view line;
    while (true) {
      if (interrupted()) {
        summary.interrupted = true;
        return exit_code::kInterrupted;
      }
      auto deadline = producer.next_linger_deadline();
      if (producer.records_added() > producer.records_acknowledged() && o.acks != Acks::kNone) {
        auto soon = Clock::now() + kAnswerPoll;
        if (!deadline || soon < *deadline) deadline = soon;
      }
      auto next = reader.next(&line, deadline);
      Status st;
      switch (next) {
        case LineReader::Next::kLine:
          st = add(line);
          if (st && deadline && Clock::now() >= *deadline) st = producer.poll();
          break;
        case LineReader::Next::kTimeout:
          st = producer.poll();
          break;
        case LineReader::Next::kEnd:
          // Ctrl-C and the end of input can arrive together.
          if (interrupted()) {
            summary.interrupted = true;
            return exit_code::kInterrupted;
          }
          return exit_code::kOk;
        case LineReader::Next::kInterrupted:
          summary.interrupted = true;
          return exit_code::kInterrupted;
        case LineReader::Next::kTooLong:
          progress.clear();
          print_error(fmt::format("line {} is longer than {} bytes; stopped reading there",
                                  group_digits(summary.records_read + 1),
                                  format_bytes(int64_t(kMaxLineBytes))));
          return exit_code::kFailed;
        case LineReader::Next::kError:
          progress.clear();
          print_error(fmt::format("reading input failed: {}", std::strerror(reader.errno_value())));
          return exit_code::kFailed;
      }
      if (!st) {
        summary.stopped = true;
        progress.clear();
        return fail(st.error());
      }
      print_new_errors();
      progress.update(reader.bytes_consumed(), summary.records_read);
    }
  }
};

}  // namespace

int run_produce(const ProduceOptions& o) {
  auto compression = compression_of(o.compression);
  if (!compression) return usage_error(compression.error().message);
  if (o.key_separator && o.key_separator->empty())
    return usage_error("--key-separator must not be empty");
  std::vector<KeyValue> header_values;
  for (const auto& text : o.headers) {
    auto kv = parse_key_value(text, /*allow_bare=*/true);
    if (!kv) return usage_error(fmt::format("--header {}", kv.error().message));
    header_values.push_back(std::move(*kv));
  }
  int fd = STDIN_FILENO;
  if (!o.file.empty() && o.file != "-") {
    fd = ::open(o.file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return usage_error(fmt::format("cannot open {}: {}", o.file, std::strerror(errno)));
  }
  struct CloseFd {
    int fd;
    ~CloseFd() {
      if (fd != STDIN_FILENO) ::close(fd);
    }
  } close_fd{fd};
  struct stat st {};
  int64_t total = (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) ? int64_t(st.st_size) : -1;

  auto client = connect(o.common);
  if (!client) return fail(client.error());
  ProducerConfig config;
  config.compression = *compression;
  config.acks = int16_t(o.acks);
  config.batch_size_bytes = size_t(o.batch_size);
  config.linger = std::chrono::milliseconds(o.linger_ms);
  config.max_in_flight = o.max_in_flight;
  config.request_timeout = std::chrono::milliseconds(o.common.request_timeout_ms);
  Producer producer(**client, o.topic, config);
  if (auto s = producer.start(); !s) {
    print_error(s.error().message);
    return exit_code_for(s.error());
  }
  if (o.partition && *o.partition >= producer.partition_count()) {
    print_error(fmt::format("--partition {}: topic '{}' has {} partition{} (0-{})", *o.partition,
                            o.topic, producer.partition_count(),
                            producer.partition_count() == 1 ? "" : "s",
                            producer.partition_count() - 1));
    return exit_code::kFailed;
  }

  install_interrupt_handler();
  ProgressBar progress(o.progress && isatty(STDERR_FILENO), total);
  ProduceRun run{o, producer, progress, {}, {}};
  for (const auto& kv : header_values) {
    protocol::RecordHeader h;
    h.key = kv.key;
    if (kv.value) h.value = span_of(*kv.value);
    run.headers.push_back(h);
  }
  run.summary.topic = o.topic;
  run.summary.acks_none = o.acks == Acks::kNone;
  auto start = Clock::now();
  LineReader reader(fd, kMaxLineBytes);
  int rc = run.read_all(reader);
  if (!run.summary.stopped) {
    // Whatever was read goes out, also after Ctrl-C or an input error.
    if (auto s = producer.flush(); !s) {
      run.summary.stopped = true;
      progress.clear();
      rc = fail(s.error());
    }
  }
  progress.clear();
  run.print_new_errors();
  run.summary.partitions = producer.outcomes();
  run.summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (o.common.output == OutputFormat::kJson)
    print_out(produce_summary_json(run.summary).dump() + "\n");
  else
    print_out(render_produce_summary(run.summary));
  if (rc == exit_code::kOk &&
      (run.summary.records_failed() > 0 || run.summary.records_unconfirmed() > 0))
    rc = exit_code::kFailed;
  return rc;
}

}  // namespace moldau::cli
