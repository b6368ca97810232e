// `moldau consume TOPIC`: prints records as they arrive (docs/cli.md,
// "consume"). Ctrl-C ends it cleanly: records already printed stay whole and
// nothing else is written to stdout.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "cli/commands.h"
#include "cli/consumer.h"
#include "cli/explain.h"
#include "cli/interrupt.h"
#include "cli/record_format.h"
#include "cli/report.h"
#include "cli/timestamp.h"

namespace moldau::cli {

namespace {

std::string_view text_of(const std::optional<ByteSpan>& b) {
  return b ? std::string_view(reinterpret_cast<const char*>(b->data()), b->size())
           : std::string_view();
}

std::optional<std::string_view> view_of(const std::optional<ByteSpan>& b) {
  if (!b) return std::nullopt;
  return text_of(b);
}

// One JSON object per line (JSON Lines). Keys, values and headers are
// strings; bytes that are not UTF-8 become U+FFFD.
void render_json(std::string_view topic, int32_t partition, const protocol::Record& r,
                 std::string& out) {
  Json j = Json::object();
  j.set("topic", topic);
  j.set("partition", partition);
  j.set("offset", r.offset);
  j.set("timestamp", r.timestamp);
  j.set("key", r.key ? Json(text_of(r.key)) : Json());
  j.set("value", r.value ? Json(text_of(r.value)) : Json());
  Json headers = Json::array();
  for (const auto& h : r.headers) {
    Json ho = Json::object();
    ho.set("key", h.key);
    ho.set("value", h.value ? Json(text_of(h.value)) : Json());
    headers.push(std::move(ho));
  }
  j.set("headers", std::move(headers));
  out += j.dump(-1);
  out += '\n';
}

void write_stdout(const std::string& out) {
  if (out.empty()) return;
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

// Sets every partition's starting offset; returns an exit code on failure.
int position(Consumer& consumer, const ConsumeOptions& o, const std::vector<int32_t>& partitions,
             int64_t from_time_ms) {
  switch (o.start) {
    case StartAt::kBeginning:
    case StartAt::kEnd: {
      auto offsets =
          consumer.list_offsets(partitions, o.start == StartAt::kBeginning ? kEarliest : kLatest);
      if (!offsets) return fail(offsets.error());
      for (auto [p, off] : *offsets) consumer.seek(p, off);
      return exit_code::kOk;
    }
    case StartAt::kOffset: {
      if (o.offset >= 0) {
        // Out of range is handled by the first Fetch (with a warning).
        for (int32_t p : partitions) consumer.seek(p, o.offset);
        return exit_code::kOk;
      }
      auto earliest = consumer.list_offsets(partitions, kEarliest);
      if (!earliest) return fail(earliest.error());
      auto latest = consumer.list_offsets(partitions, kLatest);
      if (!latest) return fail(latest.error());
      for (int32_t p : partitions)
        consumer.seek(p, std::max((*earliest)[p], (*latest)[p] + o.offset));
      return exit_code::kOk;
    }
    case StartAt::kTime: {
      auto at = consumer.list_offsets(partitions, from_time_ms);
      if (!at) return fail(at.error());
      std::vector<int32_t> none;
      for (auto [p, off] : *at)
        if (off < 0) none.push_back(p);
      auto latest = consumer.list_offsets(none, kLatest);
      if (!latest) return fail(latest.error());
      // No record at or after the time: wait for new ones.
      for (auto [p, off] : *at) consumer.seek(p, off >= 0 ? off : (*latest)[p]);
      return exit_code::kOk;
    }
  }
  return exit_code::kOk;
}

}  // namespace

int run_consume(const ConsumeOptions& o) {
  std::optional<RecordFormat> format;
  if (o.common.output != OutputFormat::kJson) {
    auto f = RecordFormat::parse(o.format);
    if (!f) return usage_error(f.error().message);
    format = std::move(*f);
  }
  int64_t from_time_ms = 0;
  if (o.start == StartAt::kTime) {
    auto t = parse_timestamp_ms(o.from_time);
    if (!t) return usage_error(t.error().message);
    from_time_ms = *t;
  }
  install_interrupt_handler();
  auto client = connect(o.common, /*interruptible=*/true);
  if (!client) return interrupted() ? exit_code::kOk : fail(client.error());
  Consumer consumer(**client, o.topic);
  if (auto st = consumer.open(); !st) return interrupted() ? exit_code::kOk : fail(st.error());
  std::vector<int32_t> partitions;
  if (o.partition) {
    if (*o.partition >= consumer.partition_count()) {
      print_error(fmt::format("--partition {}: topic '{}' has {} partition{} (0-{})", *o.partition,
                              o.topic, consumer.partition_count(),
                              consumer.partition_count() == 1 ? "" : "s",
                              consumer.partition_count() - 1));
      return exit_code::kFailed;
    }
    partitions.push_back(*o.partition);
  } else {
    for (int32_t p = 0; p < consumer.partition_count(); ++p) partitions.push_back(p);
  }
  if (int rc = position(consumer, o, partitions, from_time_ms); rc != exit_code::kOk)
    return interrupted() ? exit_code::kOk : rc;

  int64_t printed = 0;
  std::string out;
  auto on_record = [&](int32_t partition, const protocol::Record& r) {
    if (format) {
      std::vector<HeaderView> headers;
      headers.reserve(r.headers.size());
      for (const auto& h : r.headers) headers.push_back({h.key, view_of(h.value)});
      RecordView v{o.topic, partition, r.offset, r.timestamp, view_of(r.key), view_of(r.value),
                   headers};
      format->render(v, out);
    } else {
      render_json(o.topic, partition, r, out);
    }
    ++printed;
    return !o.count || printed < *o.count;
  };
  auto last_record = Clock::now();
  while (!interrupted()) {
    auto wait = std::chrono::milliseconds(o.max_wait_ms);
    if (o.timeout_ms) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          last_record + std::chrono::milliseconds(*o.timeout_ms) - Clock::now());
      if (left.count() <= 0) break;
      wait = std::min(wait, left);
    }
    out.clear();
    auto n = consumer.poll(wait, on_record);
    write_stdout(out);
    for (const auto& w : consumer.take_warnings()) print_warning(w);
    if (!n) return interrupted() ? exit_code::kOk : fail(n.error());
    if (o.count && printed >= *o.count) break;
    if (*n > 0) last_record = Clock::now();
  }
  return exit_code::kOk;
}

}  // namespace moldau::cli
