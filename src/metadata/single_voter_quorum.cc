#include "metadata/single_voter_quorum.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cassert>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "base/crc32c.h"
#include "base/log.h"

namespace moldau::metadata {
namespace {

// Frame layout (docs/metadata.md "Log file"), big-endian:
//   length u32   bytes after this field
//   crc    u32   CRC-32C of the body
//   body:  magic u8, base_offset i64, epoch i32, append_time_ms i64,
//          count u32, count × (uvarint size, record bytes)
constexpr size_t kFrameHeaderBytes = 8;
constexpr size_t kBodyFixedBytes = 1 + 8 + 4 + 8 + 4;

Error storage_error(const std::string& what, const std::string& path) {
  return Error{ErrorCode::kKafkaStorageError,
               fmt::format("{} {}: {}", what, path, std::strerror(errno))};
}

Status fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return storage_error("cannot open directory", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return storage_error("cannot fsync directory", dir);
  return {};
}

Status read_exact(int fd, int64_t offset, uint8_t* out, size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t r = ::pread(fd, out, n, offset);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return storage_error("cannot read", path);
    out += r;
    offset += r;
    n -= size_t(r);
  }
  return {};
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Decodes a frame body whose CRC has been checked.
Result<CommittedBatch> decode_body(ByteSpan body) {
  ByteReader r(body);
  uint8_t magic = r.u8();
  CommittedBatch b;
  b.base_offset = r.i64();
  b.epoch = r.i32();
  b.append_time_ms = r.i64();
  uint32_t count = r.u32();
  if (!r.ok()) return Error{ErrorCode::kCorruptMessage, "metadata batch header is truncated"};
  if (magic != kMetadataFrameMagic) {
    return Error{ErrorCode::kUnsupportedVersion,
                 fmt::format("metadata batch format {} is unknown to this build", magic)};
  }
  // Every record needs at least 5 bytes (size byte + type + version).
  if (count == 0 || size_t(count) * 5 > r.remaining()) {
    return Error{ErrorCode::kCorruptMessage,
                 fmt::format("metadata batch claims {} records in {} bytes", count, r.remaining())};
  }
  b.records.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t size = r.uvarint();
    const uint8_t* p = r.ok() && size <= r.remaining() ? r.take(size) : nullptr;
    if (!p) {
      return Error{ErrorCode::kCorruptMessage,
                   fmt::format("record {} of the metadata batch at offset {} is truncated", i,
                               b.base_offset)};
    }
    auto rec = decode_record(ByteSpan(p, size));
    if (!rec) {
      return Error{rec.error().code, fmt::format("metadata offset {}: {}", b.base_offset + i,
                                                 rec.error().message)};
    }
    b.records.push_back(std::move(rec).value());
  }
  if (r.remaining() != 0) {
    return Error{ErrorCode::kCorruptMessage,
                 fmt::format("{} stray bytes after the metadata batch at offset {}", r.remaining(),
                             b.base_offset)};
  }
  return b;
}

}  // namespace

Bytes encode_metadata_frame(const CommittedBatch& batch) {
  ByteWriter w;
  size_t header = w.reserve(kFrameHeaderBytes);
  w.u8(kMetadataFrameMagic);
  w.i64(batch.base_offset);
  w.i32(batch.epoch);
  w.i64(batch.append_time_ms);
  w.u32(uint32_t(batch.records.size()));
  ByteWriter rec;
  for (const Record& record : batch.records) {
    rec.buffer().clear();
    encode_record(record, rec);
    w.uvarint(uint32_t(rec.buffer().size()));
    w.raw(rec.buffer().data(), rec.buffer().size());
  }
  Bytes& buf = w.buffer();
  const uint8_t* body = buf.data() + header + kFrameHeaderBytes;
  size_t body_len = buf.size() - header - kFrameHeaderBytes;
  store_be32(buf.data() + header, uint32_t(body_len + 4));
  store_be32(buf.data() + header + 4, crc32c_extend(0, body, body_len));
  return std::move(buf);
}

SingleVoterQuorum::SingleVoterQuorum(std::string path, int fd, int32_t node_id, Clock clock)
    : path_(std::move(path)), fd_(fd), node_id_(node_id), clock_(std::move(clock)) {
  if (!clock_) clock_ = now_ms;
}

SingleVoterQuorum::~SingleVoterQuorum() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<SingleVoterQuorum>> SingleVoterQuorum::open(const std::string& metadata_dir,
                                                                   int32_t node_id, Clock clock) {
  std::string dir = (std::filesystem::path(metadata_dir) / kMetadataPartitionDir).string();
  std::error_code ec;
  bool created = std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Error{ErrorCode::kKafkaStorageError,
                 fmt::format("cannot create metadata log directory {}: {}", dir, ec.message())};
  }
  if (created) {
    if (auto s = fsync_dir(metadata_dir); !s) return s.error();
  }
  std::string path = (std::filesystem::path(dir) / kMetadataLogFile).string();
  bool existed = std::filesystem::exists(path, ec);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return storage_error("cannot open metadata log", path);
  if (!existed) {
    if (auto s = fsync_dir(dir); !s) {
      ::close(fd);
      return s.error();
    }
  }
  return std::unique_ptr<SingleVoterQuorum>(new SingleVoterQuorum(path, fd, node_id, std::move(clock)));
}

Status SingleVoterQuorum::replay(const BatchVisitor& visitor) {
  assert(!replayed_);
  struct stat st;
  if (::fstat(fd_, &st) != 0) return storage_error("cannot stat", path_);
  const int64_t size = st.st_size;
  int64_t pos = 0;
  std::vector<uint8_t> buf;
  while (pos < size) {
    uint8_t header[kFrameHeaderBytes];
    if (size - pos < int64_t(kFrameHeaderBytes)) break;  // torn header
    if (auto s = read_exact(fd_, pos, header, kFrameHeaderBytes, path_); !s) return s;
    uint32_t length = load_be32(header);
    uint32_t crc = load_be32(header + 4);
    // A length that cannot be, or a frame running past the end of the file,
    // is what a crash in the middle of the last write leaves behind.
    if (length < 4 + kBodyFixedBytes || length > kMaxMetadataFrameBytes) break;
    int64_t end = pos + 4 + int64_t(length);
    if (end > size) break;
    buf.resize(length - 4);
    if (auto s = read_exact(fd_, pos + kFrameHeaderBytes, buf.data(), buf.size(), path_); !s) return s;
    if (crc32c(buf) != crc) {
      if (end == size) break;  // the last frame: a torn write
      return Error{ErrorCode::kKafkaStorageError,
                   fmt::format("metadata log {} is damaged: the batch at byte {} fails its "
                               "checksum and {} bytes follow it; refusing to start rather than "
                               "lose committed metadata",
                               path_, pos, size - end)};
    }
    auto batch = decode_body(buf);
    if (!batch) {
      return Error{batch.error().code,
                   fmt::format("metadata log {} byte {}: {}", path_, pos, batch.error().message)};
    }
    if (batch->base_offset != next_offset_) {
      return Error{ErrorCode::kKafkaStorageError,
                   fmt::format("metadata log {} byte {}: batch starts at offset {}, expected {}",
                               path_, pos, batch->base_offset, next_offset_)};
    }
    if (auto s = visitor(*batch); !s) return s;
    next_offset_ = batch->last_offset() + 1;
    pos = end;
  }
  if (pos < size) {
    MOLDAU_LOG_WARN("metadata log {}: truncating {} bytes of a torn write at byte {}", path_,
                    size - pos, pos);
    if (::ftruncate(fd_, pos) != 0) return storage_error("cannot truncate", path_);
    if (::fsync(fd_) != 0) return storage_error("cannot fsync", path_);
    truncated_bytes_ = size - pos;
  }
  file_size_ = pos;
  replayed_ = true;
  return {};
}

Status SingleVoterQuorum::write_frame(const Bytes& frame) {
  size_t done = 0;
  while (done < frame.size()) {
    ssize_t n = ::pwrite(fd_, frame.data() + done, frame.size() - done, file_size_ + int64_t(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Error e = storage_error("cannot write metadata log", path_);
      // Take back a partial write so that the file still ends at a frame.
      if (::ftruncate(fd_, file_size_) != 0) failed_ = true;
      return e;
    }
    done += size_t(n);
  }
  // Metadata changes are rare; every commit is made durable before it counts.
  if (::fdatasync(fd_) != 0) {
    failed_ = true;  // after a failed fsync the page cache state is unknown
    return storage_error("cannot fsync metadata log", path_);
  }
  file_size_ += int64_t(frame.size());
  return {};
}

void SingleVoterQuorum::append(std::vector<Record> records, AppendDone done) {
  assert(replayed_);
  if (failed_) {
    done(Error{ErrorCode::kKafkaStorageError,
               fmt::format("metadata log {} failed earlier; restart the broker", path_)});
    return;
  }
  if (records.empty()) {
    done(Error{ErrorCode::kInvalidRequest, "empty metadata batch"});
    return;
  }
  CommittedBatch batch{next_offset_, kSingleVoterEpoch, clock_(), std::move(records)};
  Bytes frame = encode_metadata_frame(batch);
  if (frame.size() - 4 > kMaxMetadataFrameBytes) {
    done(Error{ErrorCode::kPolicyViolation,
               fmt::format("metadata batch of {} bytes exceeds the limit of {} bytes", frame.size(),
                           kMaxMetadataFrameBytes)});
    return;
  }
  if (auto s = write_frame(frame); !s) {
    MOLDAU_LOG_ERROR("{}", s.error().message);
    done(s.error());
    return;
  }
  next_offset_ = batch.last_offset() + 1;
  if (listener_) listener_(batch);
  done(batch.last_offset());
}

}  // namespace moldau::metadata
