// The producer state of a Log on disk: `<offset>.snapshot` files and the
// segments' `.txnindex` files (docs/storage.md, "Producer state").
#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "base/log.h"
#include "protocol/record_batch.h"
#include "storage/log.h"

namespace moldau::storage {

namespace {

// Largest snapshot read back: 10 million producers is far beyond any real
// partition, and a damaged size must not allocate without bound.
constexpr int64_t kMaxSnapshotBytes = 256LL << 20;
// A control batch read during replay (they are a few dozen bytes).
constexpr int64_t kMaxControlBatchBytes = 1 << 20;

// nullopt when the file does not exist.
Result<std::optional<Bytes>> read_file(FileOps* ops, const std::string& path, int64_t max_bytes) {
  int fd = ops->open(path, O_RDONLY, 0);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<Bytes>();
    return io_error("open", path, errno);
  }
  File f(ops, fd, path);
  auto size = f.size();
  if (!size) return size.error();
  if (*size > max_bytes) {
    return Error{ErrorCode::kCorruptMessage, fmt::format("{} is {} bytes, larger than {}", path, *size, max_bytes)};
  }
  Bytes b(static_cast<size_t>(*size));
  auto n = f.read_at(b.data(), b.size(), 0);
  if (!n) return n.error();
  b.resize(*n);
  return std::optional<Bytes>(std::move(b));
}

}  // namespace

std::vector<int64_t> Log::list_snapshots() const {
  std::vector<int64_t> out;
  DIR* d = ::opendir(dir_path_.c_str());
  if (d == nullptr) return out;
  const std::string_view suffix = ProducerStateManager::kSnapshotSuffix;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name.size() != 20 + suffix.size() || name.substr(20) != suffix) continue;
    int64_t v = -1;
    auto [end, ec] = std::from_chars(name.data(), name.data() + 20, v);
    if (ec == std::errc() && end == name.data() + 20 && v >= 0) out.push_back(v);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

void Log::delete_snapshots(int64_t below, int64_t above) {
  for (int64_t off : list_snapshots()) {
    if (off >= below && off <= above) continue;
    std::string path = Segment::path_for(dir_path_, off, ProducerStateManager::kSnapshotSuffix);
    if (dir_->ops()->unlink(path) != 0 && errno != ENOENT) {
      MOLDAU_LOG_WARN("{}: cannot delete {}: {}", tp_.dir_name(), path, std::strerror(errno));
    }
  }
}

Status Log::write_producer_snapshot() {
  // Aborted transactions before the snapshot's offset are read from the
  // `.txnindex` files on the next start: write_aborted_txns synced them.
  const std::string path = Segment::path_for(dir_path_, log_end_, ProducerStateManager::kSnapshotSuffix);
  const std::string tmp = path + ".tmp";
  Bytes bytes = producers_.encode_snapshot();
  {
    auto f = File::open(dir_->ops(), tmp, O_WRONLY | O_CREAT | O_TRUNC);
    if (!f) return f.error();
    if (auto s = (*f)->write_at(bytes.data(), bytes.size(), 0); !s) return s;
    // Not synced: a snapshot that did not reach the disk whole fails its CRC
    // and the state is rebuilt from an older one or from the log.
  }
  if (dir_->ops()->rename(tmp, path) != 0) return io_error("rename", tmp, errno);
  return {};
}

Status Log::write_aborted_txns() {
  std::vector<AbortedTxn> txns = producers_.take_new_aborted();
  if (txns.empty()) return {};
  const int64_t base = active().base_offset();
  size_t existing = 0;
  if (auto it = producers_.aborted_by_segment().find(base); it != producers_.aborted_by_segment().end()) {
    existing = it->second.size();
  }
  Bytes bytes;
  for (const AbortedTxn& t : txns) {
    Bytes one = encode_aborted_txn(t);
    bytes.insert(bytes.end(), one.begin(), one.end());
    producers_.add_aborted(base, t);
  }
  const std::string path = Segment::path_for(dir_path_, base, ProducerStateManager::kTxnIndexSuffix);
  auto f = File::open(dir_->ops(), path, O_WRONLY | O_CREAT);
  if (!f) return f.error();
  if (auto s = (*f)->write_at(bytes.data(), bytes.size(), int64_t(existing * AbortedTxn::kSize)); !s) return s;
  // Aborts are rare; syncing each keeps the index at least as durable as
  // the snapshots that rely on it.
  return (*f)->datasync();
}

Status Log::rewrite_txn_index(int64_t segment_base) {
  const std::string path = Segment::path_for(dir_path_, segment_base, ProducerStateManager::kTxnIndexSuffix);
  auto it = producers_.aborted_by_segment().find(segment_base);
  if (it == producers_.aborted_by_segment().end()) {
    if (dir_->ops()->unlink(path) != 0 && errno != ENOENT) return io_error("unlink", path, errno);
    return {};
  }
  Bytes bytes;
  for (const AbortedTxn& t : it->second) {
    Bytes one = encode_aborted_txn(t);
    bytes.insert(bytes.end(), one.begin(), one.end());
  }
  auto f = File::open(dir_->ops(), path, O_WRONLY | O_CREAT | O_TRUNC);
  if (!f) return f.error();
  if (auto s = (*f)->write_at(bytes.data(), bytes.size(), 0); !s) return s;
  return (*f)->datasync();
}

Status Log::replay_producers(int64_t from) {
  from = std::max(from, segments_.begin()->first);
  if (from >= log_end_) return {};
  ProducerAppend staged(producers_, AppendOrigin::kLog);
  size_t batches = 0;
  uint8_t header[protocol::batch::kHeaderSize];
  for (auto it = std::prev(segments_.upper_bound(from)); it != segments_.end(); ++it) {
    const Segment& seg = *it->second;
    auto first = seg.find_batch(from);
    if (!first) return first.error();
    if (!*first) continue;
    BatchScanner scanner(*seg.log_file(), (*first)->position, seg.size_bytes());
    while (true) {
      auto b = scanner.next();
      if (!b) return b.error();
      if (!*b) break;
      const BatchInfo& info = **b;
      if (info.last_offset < from) continue;
      auto n = seg.log_file()->read_at(header, sizeof(header), info.position);
      if (!n) return n.error();
      if (*n < sizeof(header)) break;
      protocol::BatchHeaderView v(header);
      if (v.producer_id() < 0) continue;
      Result<ProducerBatchHeader> h = ProducerBatchHeader{};
      if (v.control()) {
        if (info.size > kMaxControlBatchBytes) continue;
        Bytes whole(static_cast<size_t>(info.size));
        auto m = seg.log_file()->read_at(whole.data(), whole.size(), info.position);
        if (!m) return m.error();
        if (*m < whole.size()) break;
        h = producer_header_of(whole);
        if (!h) {
          MOLDAU_LOG_WARN("{}: control batch at offset {}: {}", tp_.dir_name(), info.base_offset,
                          h.error().message);
          continue;
        }
      } else {
        h = producer_header_of(std::span<const uint8_t>(header, sizeof(header)));
      }
      (void)staged.add(*h, info.base_offset);
      ++batches;
      // Commit as we go so that aborted transactions land in their segments.
      staged.commit(producers_);
      for (const AbortedTxn& t : producers_.take_new_aborted()) producers_.add_aborted(it->first, t);
    }
  }
  MOLDAU_LOG_DEBUG("{}: replayed {} producer batches from offset {}", tp_.dir_name(), batches, from);
  return {};
}

Status Log::load_producer_state(std::vector<int64_t> snapshots) {
  producers_ = ProducerStateManager();
  // The aborted-transaction index of every segment.
  for (const auto& [base, seg] : segments_) {
    const std::string path = Segment::path_for(dir_path_, base, ProducerStateManager::kTxnIndexSuffix);
    auto bytes = read_file(dir_->ops(), path, 64LL << 20);
    if (!bytes) {
      if (bytes.error().code == ErrorCode::kKafkaStorageError) return bytes.error();
      MOLDAU_LOG_WARN("{}: ignoring {}: {}", tp_.dir_name(), path, bytes.error().message);
      continue;
    }
    if (*bytes) producers_.set_aborted(base, decode_aborted_txns(**bytes));
  }
  // The newest usable snapshot within [first segment, log end].
  const int64_t first_base = segments_.begin()->first;
  std::sort(snapshots.begin(), snapshots.end());
  int64_t from = first_base;
  for (auto it = snapshots.rbegin(); it != snapshots.rend(); ++it) {
    if (*it > log_end_ || *it < first_base) continue;
    const std::string path = Segment::path_for(dir_path_, *it, ProducerStateManager::kSnapshotSuffix);
    auto bytes = read_file(dir_->ops(), path, kMaxSnapshotBytes);
    if (!bytes && bytes.error().code == ErrorCode::kKafkaStorageError) return bytes.error();
    if (bytes && !*bytes) continue;
    Status s = bytes ? producers_.decode_snapshot(**bytes) : Status(bytes.error());
    if (s) {
      from = *it;
      break;
    }
    MOLDAU_LOG_WARN("{}: ignoring producer snapshot {}: {}", tp_.dir_name(), path, s.error().message);
    if (dir_->ops()->unlink(path) != 0 && errno != ENOENT) return io_error("unlink", path, errno);
  }
  delete_snapshots(first_base, log_end_);
  // Entries at or after `from` are replayed from the log.
  const auto before = producers_.aborted_by_segment();
  producers_.drop_aborted_from(from);
  if (auto s = replay_producers(from); !s) return s;
  for (const auto& [base, txns] : producers_.aborted_by_segment()) {
    auto old = before.find(base);
    if (old == before.end() || old->second != txns) {
      if (auto s = rewrite_txn_index(base); !s) return s;
    }
  }
  for (const auto& [base, txns] : before) {
    if (!producers_.aborted_by_segment().count(base)) {
      if (auto s = rewrite_txn_index(base); !s) return s;
    }
  }
  MOLDAU_LOG_DEBUG("{}: producer state of {} producers (from offset {})", tp_.dir_name(), producers_.size(),
                   from);
  return {};
}

Status Log::reset_producer_state() {
  delete_snapshots(segments_.begin()->first, log_end_);
  return load_producer_state(list_snapshots());
}

size_t Log::remove_expired_producers(int64_t now_ms) {
  return producers_.remove_expired(now_ms, config_.producer_id_expiration_ms);
}

}  // namespace moldau::storage
