#include "storage/checkpoint_file.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>

#include <fmt/format.h>

namespace moldau::storage {

namespace {

Error malformed(std::string_view what) {
  return Error{ErrorCode::kCorruptMessage, fmt::format("malformed checkpoint: {}", what)};
}

std::string parent_dir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Splits text into lines; a missing final newline is tolerated.
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      lines.push_back(text);
      break;
    }
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  return lines;
}

template <typename T>
bool parse_int(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> fields;
  while (!line.empty()) {
    size_t sp = line.find(' ');
    std::string_view f = line.substr(0, sp);
    if (!f.empty()) fields.push_back(f);
    if (sp == std::string_view::npos) break;
    line.remove_prefix(sp + 1);
  }
  return fields;
}

// "0\n<count>\n" then exactly count lines of `width` fields each.
Result<std::vector<std::vector<std::string_view>>> parse_table(std::string_view text,
                                                               size_t width) {
  auto lines = lines_of(text);
  if (lines.size() < 2) return malformed("missing header");
  int32_t version = -1;
  int64_t count = -1;
  if (!parse_int(lines[0], version) || version != 0) return malformed("unknown version");
  if (!parse_int(lines[1], count) || count < 0 || size_t(count) != lines.size() - 2) {
    return malformed("count does not match the entries");
  }
  std::vector<std::vector<std::string_view>> rows;
  rows.reserve(size_t(count));
  for (size_t i = 2; i < lines.size(); ++i) {
    auto f = fields_of(lines[i]);
    if (f.size() != width) return malformed(lines[i]);
    rows.push_back(std::move(f));
  }
  return rows;
}

}  // namespace

Status write_file_atomically(FileOps* ops, const std::string& path, std::string_view content) {
  std::string tmp = path + ".tmp";
  {
    auto file = File::open(ops, tmp, O_WRONLY | O_CREAT | O_TRUNC);
    if (!file) return file.error();
    if (auto s = (*file)->write_at(content.data(), content.size(), 0); !s) return s;
    if (auto s = (*file)->sync(); !s) return s;
  }
  if (ops->rename(tmp, path) != 0) return io_error("rename", tmp, errno);
  return sync_dir(ops, parent_dir(path));
}

Result<std::optional<std::string>> read_small_file(FileOps* ops, const std::string& path,
                                                   int64_t max_bytes) {
  int fd = ops->open(path, O_RDONLY, 0);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return io_error("open", path, errno);
  }
  File file(ops, fd, path);
  auto size = file.size();
  if (!size) return size.error();
  if (*size > max_bytes) return malformed(path + " is too large");
  std::string content(size_t(*size), '\0');
  auto got = file.read_at(content.data(), content.size(), 0);
  if (!got) return got.error();
  content.resize(*got);
  return std::optional<std::string>(std::move(content));
}

std::string format_offset_checkpoint(const OffsetMap& offsets) {
  std::string out = fmt::format("0\n{}\n", offsets.size());
  for (const auto& [tp, offset] : offsets) {
    out += fmt::format("{} {} {}\n", tp.topic, tp.partition, offset);
  }
  return out;
}

Result<OffsetMap> parse_offset_checkpoint(std::string_view text) {
  auto rows = parse_table(text, 3);
  if (!rows) return rows.error();
  OffsetMap offsets;
  for (const auto& f : *rows) {
    TopicPartition tp{std::string(f[0]), 0};
    int64_t offset = 0;
    if (!parse_int(f[1], tp.partition) || tp.partition < 0 || !parse_int(f[2], offset)) {
      return malformed("bad partition or offset");
    }
    offsets[std::move(tp)] = offset;
  }
  return offsets;
}

Status write_offset_checkpoint(FileOps* ops, const std::string& path, const OffsetMap& offsets) {
  return write_file_atomically(ops, path, format_offset_checkpoint(offsets));
}

Result<OffsetMap> read_offset_checkpoint(FileOps* ops, const std::string& path) {
  auto text = read_small_file(ops, path);
  if (!text) return text.error();
  if (!*text) return OffsetMap{};
  auto parsed = parse_offset_checkpoint(**text);
  if (!parsed) return Error{parsed.error().code, path + ": " + parsed.error().message};
  return parsed;
}

std::string format_epoch_checkpoint(const std::vector<EpochEntry>& entries) {
  std::string out = fmt::format("0\n{}\n", entries.size());
  for (const auto& e : entries) out += fmt::format("{} {}\n", e.epoch, e.start_offset);
  return out;
}

Result<std::vector<EpochEntry>> parse_epoch_checkpoint(std::string_view text) {
  auto rows = parse_table(text, 2);
  if (!rows) return rows.error();
  std::vector<EpochEntry> entries;
  for (const auto& f : *rows) {
    EpochEntry e{};
    if (!parse_int(f[0], e.epoch) || !parse_int(f[1], e.start_offset) || e.epoch < 0 ||
        e.start_offset < 0) {
      return malformed("bad epoch entry");
    }
    if (!entries.empty() && (e.epoch <= entries.back().epoch ||
                             e.start_offset < entries.back().start_offset)) {
      return malformed("epochs not increasing");
    }
    entries.push_back(e);
  }
  return entries;
}

std::string format_partition_metadata(std::string_view topic_id) {
  return fmt::format("version: 0\ntopic_id: {}\n", topic_id);
}

Result<std::string> parse_partition_metadata(std::string_view text) {
  auto lines = lines_of(text);
  if (lines.size() < 2 || lines[0] != "version: 0" || !lines[1].starts_with("topic_id: ")) {
    return malformed("partition.metadata");
  }
  std::string_view id = lines[1].substr(10);
  if (id.empty() || id.size() > 64) return malformed("partition.metadata topic id");
  return std::string(id);
}

}  // namespace moldau::storage
