// Kafka's small text files (docs/storage.md, "Checkpoint files"):
//   recovery-point-offset-checkpoint, log-start-offset-checkpoint,
//   replication-offset-checkpoint: "0\n<count>\n<topic> <partition> <offset>\n..."
//   leader-epoch-checkpoint:        "0\n<count>\n<epoch> <start offset>\n..."
//   partition.metadata:             "version: 0\ntopic_id: <id>\n"
// Every write is atomic: a temp file, fsync, rename over the old one, fsync of
// the directory. Reads never trust the text: a malformed file is an error
// (CORRUPT_MESSAGE) and the caller decides what to fall back to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/error.h"
#include "storage/file_ops.h"
#include "storage/topic_partition.h"

namespace moldau::storage {

// Largest checkpoint file read: about a million partitions' lines.
constexpr int64_t kCheckpointFileMaxBytes = 64 << 20;

// Writes `content` to `path` atomically (path + ".tmp", fsync, rename, fsync dir).
Status write_file_atomically(FileOps* ops, const std::string& path, std::string_view content);
// The file's content; nullopt if it does not exist; an error past max_bytes.
Result<std::optional<std::string>> read_small_file(FileOps* ops, const std::string& path,
                                                   int64_t max_bytes = kCheckpointFileMaxBytes);

using OffsetMap = std::unordered_map<TopicPartition, int64_t>;

std::string format_offset_checkpoint(const OffsetMap& offsets);
Result<OffsetMap> parse_offset_checkpoint(std::string_view text);
Status write_offset_checkpoint(FileOps* ops, const std::string& path, const OffsetMap& offsets);
// An empty map when the file does not exist.
Result<OffsetMap> read_offset_checkpoint(FileOps* ops, const std::string& path);

struct EpochEntry {
  int32_t epoch;
  int64_t start_offset;
  bool operator==(const EpochEntry&) const = default;
};
std::string format_epoch_checkpoint(const std::vector<EpochEntry>& entries);
Result<std::vector<EpochEntry>> parse_epoch_checkpoint(std::string_view text);

std::string format_partition_metadata(std::string_view topic_id);
// The topic id of a partition.metadata file.
Result<std::string> parse_partition_metadata(std::string_view text);

}  // namespace moldau::storage
